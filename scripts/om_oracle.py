"""OpenMetadata's own Python package as an independent oracle for dynameta.

dynameta's tests check its output against an in-process Rust contract server that
validates with OpenMetadata's JSON Schemas. This script is a second, independent check:
it runs inside the venv that ``scripts/install-test-deps`` creates (``.tools/openmetadata``,
``DYNAMETA_OM_PYTHON`` in ``.tools/paths.env``), with openmetadata-ingestion 2.0.7 installed,
and judges dynameta's output with OpenMetadata's generated pydantic models and REST client.

Subcommands (exit 0 when every check passes, 1 otherwise, 2 on bad usage; a JSON summary
on stdout, one line per failure on stderr):

``validate FILE...``
    Each FILE is JSON Lines from dynameta's file sink (``{"kind": ..., ...}`` a line). The
    payload of each kind is parsed with the model OpenMetadata's client would use:

    ====================== =============================================================
    createDatabaseService  api.services.createDatabaseService.CreateDatabaseServiceRequest
    createDatabase         api.data.createDatabase.CreateDatabaseRequest
    createDatabaseSchema   api.data.createDatabaseSchema.CreateDatabaseSchemaRequest
    createTable            api.data.createTable.CreateTableRequest
    createTableProfile     api.data.createTableProfile.CreateTableProfileRequest
    createTestCase         api.tests.createTestCase.CreateTestCaseRequest
    createTestCaseResult   api.tests.createTestCaseResult.CreateTestCaseResult
    createClassification   api.classification.createClassification.CreateClassificationRequest
    createTag              api.classification.createTag.CreateTagRequest
    addLineage             api.lineage.addLineage.AddLineageRequest
    createPipelineService  api.services.createPipelineService.CreatePipelineServiceRequest
    createPipeline         api.data.createPipeline.CreatePipelineRequest
    dailyCount             type.dailyCount.DailyCountOfSomeMeasurement (POST /usage body)
    usageRequest           type.usageRequest.UsageRequest
    columnTags             type.tagLabel.TagLabel, for every tag of every column entry
    sampleData             entity.data.table.TableData
    ====================== =============================================================

    Other kinds (``tableListing``, ``dynamodbTable``) are counted, not parsed. Each payload
    is parsed twice: as the client does (``model_validate``, pydantic's lax mode, which
    coerces e.g. ``"12"`` to ``12``), and from its JSON text in strict mode (no coercion:
    what the JSON Schemas, and so the contract server, demand). Either failing is a
    failure; ``--lax`` skips the strict pass. The models forbid unknown fields; that is
    checked at startup, and the oracle refuses to run if it is not so.

``readback --server URL --token JWT --table FQN [--table FQN ...]
[--expect-profile] [--expect-sample-data] [--expect-tags] [--expect-table-tags]
[--expect-owners] [--skip-columns-api]``
    Reads tables back through ``metadata.ingestion.ometa.ometa_api.OpenMetadata`` (which
    checks the server version on start) exactly as OpenMetadata's own code would:
    ``get_by_name(Table, fields=columns,tags,tableConstraints,owners)``, ``get_table_columns``
    (unless ``--skip-columns-api``), and with the flags ``get_latest_table_profile`` and
    ``get_sample_data``. Every
    response must parse as OpenMetadata's (extra-field-forbidding) models. Prints per
    table: column counts, constraint types, tagged columns, table tags, owners, profile
    rowCount, sample rows.

``selftest``
    Negative control: runs the validate path on built-in records, a known-good one of
    every kind and known-bad ones (a column ``dataType`` ``NOT_A_TYPE``, an unknown field,
    ...), and fails unless exactly the good ones pass.

Run it with the venv's python, e.g. ``. .tools/paths.env && "$DYNAMETA_OM_PYTHON"
scripts/om_oracle.py validate demo-out/*.jsonl``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
import warnings
from dataclasses import dataclass, field
from typing import Any

# openmetadata-ingestion warns at import time about its own models (a field named "schema"
# shadowing BaseModel.schema); that is noise for us.
warnings.filterwarnings("ignore", category=UserWarning, module=r"pydantic\..*")
warnings.filterwarnings("ignore", message=r"Field name .* shadows an attribute")

from pydantic import ValidationError  # noqa: E402  (after the warning filters)

SCHEMA = "metadata.generated.schema"

# kind -> (module under metadata.generated.schema, class) of the payload's model.
PAYLOAD_MODELS: dict[str, tuple[str, str]] = {
    "createDatabaseService": ("api.services.createDatabaseService", "CreateDatabaseServiceRequest"),
    "createDatabase": ("api.data.createDatabase", "CreateDatabaseRequest"),
    "createDatabaseSchema": ("api.data.createDatabaseSchema", "CreateDatabaseSchemaRequest"),
    "createTable": ("api.data.createTable", "CreateTableRequest"),
    "createTableProfile": ("api.data.createTableProfile", "CreateTableProfileRequest"),
    "sampleData": ("entity.data.table", "TableData"),
    # Data quality (issue 23): what `dynameta test` will send.
    "createTestCase": ("api.tests.createTestCase", "CreateTestCaseRequest"),
    "createTestCaseResult": ("api.tests.createTestCaseResult", "CreateTestCaseResult"),
    # AWS tags and owners (issue 24): the bodies of PUT /v1/classifications and /v1/tags
    # (tables with tags and owners are parsed as the client reads them back: readback).
    "createClassification": ("api.classification.createClassification", "CreateClassificationRequest"),
    "createTag": ("api.classification.createTag", "CreateTagRequest"),
    # Lineage and usage (issue 26): what `dynameta lineage` and `dynameta usage` send.
    "addLineage": ("api.lineage.addLineage", "AddLineageRequest"),
    "createPipelineService": ("api.services.createPipelineService", "CreatePipelineServiceRequest"),
    "createPipeline": ("api.data.createPipeline", "CreatePipelineRequest"),
    "dailyCount": ("type.dailyCount", "DailyCountOfSomeMeasurement"),
    "usageRequest": ("type.usageRequest", "UsageRequest"),
}
TAG_LABEL_MODEL = ("type.tagLabel", "TagLabel")
# Kinds dynameta writes that carry no OpenMetadata request: counted only.
COUNTED_ONLY = {"tableListing", "dynamodbTable"}

MAX_ERRORS_SHOWN = 8  # pydantic errors listed per failure
MAX_INPUT_CHARS = 120  # of the offending input value, in a failure message
MAX_MESSAGE_CHARS = 240  # of one pydantic message (an enum's lists every member)
COLUMNS_PAGE = 50  # columns OpenMetadata's GET /tables/name/{fqn}/columns answers without a limit


def model(module: str, name: str) -> Any:
    """The class ``name`` of ``metadata.generated.schema.<module>``."""
    return getattr(importlib.import_module(f"{SCHEMA}.{module}"), name)


def describe_validation_error(err: ValidationError) -> str:
    """A pydantic error as one line: ``loc: message (input ...)``, a few of them."""
    parts = []
    errors = err.errors()
    for e in errors[:MAX_ERRORS_SHOWN]:
        loc = ".".join(str(p) for p in e.get("loc", ())) or "<root>"
        msg = str(e.get("msg"))
        if len(msg) > MAX_MESSAGE_CHARS:
            msg = msg[:MAX_MESSAGE_CHARS] + "..."
        text = f"{loc}: {msg}"
        if "input" in e and e.get("type") != "missing":
            shown = json.dumps(e["input"], default=str)
            if len(shown) > MAX_INPUT_CHARS:
                shown = shown[:MAX_INPUT_CHARS] + "..."
            text += f" (input {shown})"
        parts.append(text)
    if len(errors) > MAX_ERRORS_SHOWN:
        parts.append(f"... {len(errors) - MAX_ERRORS_SHOWN} more")
    return f"{len(errors)} error(s): " + "; ".join(parts)


def check_models_are_strict() -> str | None:
    """None when OpenMetadata's models reject unknown fields, else why the oracle is unfit."""
    create_table = model("api.data.createTable", "CreateTableRequest")
    probe = {"name": "x", "columns": [], "databaseSchema": "a.b.c", "bogus": 1}
    try:
        create_table.model_validate(probe)
    except ValidationError:
        return None
    return (
        "the oracle is not strict: CreateTableRequest.model_validate accepted an unknown "
        "field 'bogus', so the OpenMetadata models in this environment do not forbid extra "
        "fields and cannot judge payloads"
    )


# ---------------------------------------------------------------------------------------
# validate


@dataclass
class Failure:
    """One failed check: where, which kind, why."""

    where: str
    kind: str
    message: str

    def line(self) -> str:
        return f"{self.where}: {self.kind}: {self.message}"

    def as_json(self) -> dict[str, str]:
        return {"where": self.where, "kind": self.kind, "message": self.message}


@dataclass
class Validator:
    """Validates records and keeps the counts and the failures."""

    strict: bool = True
    counts: dict[str, int] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    tags_checked: int = 0

    def _parse(self, model_cls: Any, value: Any) -> str | None:
        """None when ``value`` parses as ``model_cls`` (lax, then strict JSON), else why."""
        try:
            model_cls.model_validate(value)
        except ValidationError as err:
            return describe_validation_error(err)
        if self.strict:
            try:
                model_cls.model_validate_json(json.dumps(value), strict=True)
            except ValidationError as err:
                return "strict JSON mode (lax model_validate accepts it): " + describe_validation_error(err)
        return None

    def record(self, where: str, rec: Any) -> None:
        """Validates one parsed JSON Lines record."""
        if not isinstance(rec, dict) or not isinstance(rec.get("kind"), str):
            self.counts["<no kind>"] = self.counts.get("<no kind>", 0) + 1
            self.failures.append(Failure(where, "<no kind>", 'not an object with a string "kind"'))
            return
        kind = rec["kind"]
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if kind in COUNTED_ONLY:
            return
        if "payload" not in rec:
            self.failures.append(Failure(where, kind, 'no "payload"'))
            return
        payload = rec["payload"]
        if kind == "columnTags":
            self._column_tags(where, payload)
        elif kind in PAYLOAD_MODELS:
            why = self._parse(model(*PAYLOAD_MODELS[kind]), payload)
            if why:
                self.failures.append(Failure(where, kind, f"{PAYLOAD_MODELS[kind][1]}: {why}"))
        else:
            self.failures.append(Failure(where, kind, "unknown kind (not one dynameta writes)"))

    def _column_tags(self, where: str, payload: Any) -> None:
        """``payload``: a list of ``{"column": FQN, "tags": [TagLabel...], ...}``."""
        if not isinstance(payload, list):
            self.failures.append(Failure(where, "columnTags", "payload is not a list"))
            return
        tag_label = model(*TAG_LABEL_MODEL)
        for i, entry in enumerate(payload):
            if not isinstance(entry, dict) or not isinstance(entry.get("column"), str):
                self.failures.append(
                    Failure(where, "columnTags", f'payload[{i}] is not an object with a string "column"')
                )
                continue
            tags = entry.get("tags")
            if not isinstance(tags, list):
                self.failures.append(
                    Failure(where, "columnTags", f"payload[{i}] ({entry['column']}): tags is not a list")
                )
                continue
            for j, tag in enumerate(tags):
                self.tags_checked += 1
                why = self._parse(tag_label, tag)
                if why:
                    self.failures.append(
                        Failure(where, "columnTags", f"payload[{i}] ({entry['column']}) tags[{j}]: TagLabel: {why}")
                    )

    def file(self, path: str) -> None:
        """Validates every line of a JSON Lines file."""
        try:
            handle = open(path, encoding="utf-8")  # noqa: SIM115 (closed below)
        except OSError as err:
            self.failures.append(Failure(path, "<file>", f"cannot read: {err}"))
            return
        with handle:
            for number, text in enumerate(handle, 1):
                if not text.strip():
                    continue
                where = f"{path}:{number}"
                try:
                    rec = json.loads(text)
                except json.JSONDecodeError as err:
                    self.failures.append(Failure(where, "<json>", f"not JSON: {err}"))
                    continue
                self.record(where, rec)

    def summary(self) -> dict[str, Any]:
        return {
            "ok": not self.failures,
            "mode": "lax+strict" if self.strict else "lax",
            "records": sum(self.counts.values()),
            "counts": dict(sorted(self.counts.items())),
            "tagLabelsChecked": self.tags_checked,
            "failures": [f.as_json() for f in self.failures],
        }


def report(summary: dict[str, Any], failure_lines: list[str]) -> int:
    """Prints the summary (stdout) and the failures (stderr); the exit code."""
    print(json.dumps(summary, indent=2, default=str))
    for text in failure_lines:
        print(f"om_oracle: FAIL {text}", file=sys.stderr)
    return 0 if not failure_lines else 1


def cmd_validate(args: argparse.Namespace) -> int:
    unfit = check_models_are_strict()
    if unfit:
        print(f"om_oracle: {unfit}", file=sys.stderr)
        return 1
    validator = Validator(strict=not args.lax)
    for path in args.files:
        validator.file(path)
    return report(validator.summary(), [f.line() for f in validator.failures])


# ---------------------------------------------------------------------------------------
# selftest

GOOD_TABLE: dict[str, Any] = {
    "name": "orders",
    "tableType": "Regular",
    "description": "**DynamoDB table** (generated by dynameta)",
    "databaseSchema": "aws_dynamodb.default.default",
    "sourceUrl": "https://console.aws.amazon.com/dynamodbv2/home?region=us-east-1#table?name=orders",
    "sourceHash": "0123456789abcdef",
    "columns": [
        {"name": "orderId", "dataType": "STRING", "dataTypeDisplay": "string", "constraint": "NOT_NULL"},
        {"name": "createdAt", "dataType": "BIGINT", "dataTypeDisplay": "bigint"},
        {"name": "total", "dataType": "DECIMAL", "dataTypeDisplay": "decimal(7,2)", "precision": 7, "scale": 2},
        {"name": "tags", "dataType": "SET", "arrayDataType": "STRING", "dataTypeDisplay": "set<string>"},
        {
            "name": "address",
            "dataType": "STRUCT",
            "dataTypeDisplay": "map<city:string,zip:string>",
            "children": [
                {"name": "city", "dataType": "STRING", "dataTypeDisplay": "string"},
                {"name": "zip", "dataType": "STRING", "dataTypeDisplay": "string"},
            ],
        },
    ],
    "tableConstraints": [
        {"constraintType": "PRIMARY_KEY", "columns": ["orderId", "createdAt"]},
        {"constraintType": "SORT_KEY", "columns": ["createdAt"]},
    ],
}

GOOD_TAG = {
    "tagFQN": "PII.Sensitive",
    "name": "Sensitive",
    "source": "Classification",
    "labelType": "Generated",
    "state": "Suggested",
    "reason": "email addresses in 100% of sampled values",
    "metadata": {
        "recognizer": {
            "recognizerId": "0b6c9d7e-4f1a-4c1e-9a59-3f1f2f6e8a01",
            "recognizerName": "Email address",
            "score": 0.95,
            "target": "content",
            "patterns": [{"name": "email", "score": 0.95}],
        }
    },
}


def _with(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A deep copy of ``base`` with top-level keys changed."""
    copy: dict[str, Any] = json.loads(json.dumps(base))
    copy.update(changes)
    return copy


GOOD_TEST_CASE: dict[str, Any] = {
    "name": "qty_between",
    "entityLink": "<#E::table::svc.default.default.orders::columns::qty>",
    "testDefinition": "columnValuesToBeBetween",
    "parameterValues": [{"name": "minValue", "value": "0"}, {"name": "maxValue", "value": "10"}],
    "computePassedFailedRowCount": True,
}
GOOD_TEST_CASE_RESULT: dict[str, Any] = {
    "timestamp": 1765000000000,
    "testCaseStatus": "Success",
    "result": "Found min=1, max=3",
    "testResultValue": [{"name": "min", "value": "1"}, {"name": "max", "value": "3"}],
    "passedRows": 3,
    "failedRows": 0,
}


GOOD_LINEAGE: dict[str, Any] = {
    "edge": {
        "fromEntity": {"id": "6b8e7c0e-2f43-4a59-9d0e-3c1a2b4d5e6f", "type": "table"},
        "toEntity": {"id": "0f1e2d3c-4b5a-4697-8877-665544332211", "type": "container"},
        "lineageDetails": {"description": "dynameta: DynamoDB export to S3", "source": "PipelineLineage"},
    }
}


def selftest_cases() -> list[tuple[str, bool, dict[str, Any]]]:
    """(name, should pass, record) for the negative control."""
    bad_type = _with(GOOD_TABLE)
    bad_type["columns"][1]["dataType"] = "NOT_A_TYPE"
    bad_nested_extra = _with(GOOD_TABLE)
    bad_nested_extra["columns"][4]["children"][0]["dynamodbType"] = "S"
    return [
        (
            "good createDatabaseService",
            True,
            {
                "kind": "createDatabaseService",
                "payload": {
                    "name": "aws_dynamodb",
                    "serviceType": "DynamoDB",
                    "connection": {"config": {"type": "DynamoDB", "awsConfig": {"awsRegion": "us-east-1"}}},
                },
            },
        ),
        (
            "good createDatabase",
            True,
            {"kind": "createDatabase", "payload": {"name": "default", "service": "aws_dynamodb"}},
        ),
        (
            "good createDatabaseSchema",
            True,
            {"kind": "createDatabaseSchema", "payload": {"name": "default", "database": "aws_dynamodb.default"}},
        ),
        ("good createTable", True, {"kind": "createTable", "payload": GOOD_TABLE}),
        (
            "good createTableProfile",
            True,
            {
                "kind": "createTableProfile",
                "table": "aws_dynamodb.default.default.orders",
                "payload": {
                    "tableProfile": {"timestamp": 1732870000000, "rowCount": 20, "columnCount": 5},
                    "columnProfile": [
                        {
                            "name": "total",
                            "timestamp": 1732870000000,
                            "valuesCount": 20,
                            "nullCount": 0,
                            "min": 1.5,
                            "max": 99.99,
                        }
                    ],
                },
                "dynamodb": {},
            },
        ),
        (
            "good columnTags",
            True,
            {
                "kind": "columnTags",
                "table": "aws_dynamodb.default.default.customers",
                "payload": [
                    {
                        "column": "aws_dynamodb.default.default.customers.email",
                        "tags": [GOOD_TAG],
                        "recognizer": "email",
                        "confidence": 95.0,
                    }
                ],
            },
        ),
        (
            "good sampleData",
            True,
            {
                "kind": "sampleData",
                "table": "aws_dynamodb.default.default.orders",
                "payload": {"columns": ["orderId", "total"], "rows": [["o-1", 12.5], ["o-2", None]]},
            },
        ),
        (
            "good tableListing (counted only)",
            True,
            {"kind": "tableListing", "schema": "aws_dynamodb.default.default", "tables": ["orders"]},
        ),
        ("bad createTable: column dataType NOT_A_TYPE", False, {"kind": "createTable", "payload": bad_type}),
        (
            "bad createTable: unknown top-level field",
            False,
            {"kind": "createTable", "payload": _with(GOOD_TABLE, bogus=1)},
        ),
        (
            "bad createTable: unknown field in a nested column",
            False,
            {"kind": "createTable", "payload": bad_nested_extra},
        ),
        (
            "bad createTable: name given as a number",
            False,
            {"kind": "createTable", "payload": _with(GOOD_TABLE, name=12)},
        ),
        (
            "bad createTableProfile: rowCount as a string (only strict JSON mode rejects it)",
            False,
            {
                "kind": "createTableProfile",
                "table": "t",
                "payload": {"tableProfile": {"timestamp": 1732870000000, "rowCount": "20"}},
                "dynamodb": {},
            },
        ),
        (
            "bad columnTags: labelType Bogus",
            False,
            {
                "kind": "columnTags",
                "table": "t",
                "payload": [{"column": "t.c", "tags": [_with(GOOD_TAG, labelType="Bogus")]}],
            },
        ),
        (
            "bad sampleData: unknown field",
            False,
            {"kind": "sampleData", "table": "t", "payload": {"columns": ["a"], "rows": [[1]], "bogus": True}},
        ),
        ("good createTestCase", True, {"kind": "createTestCase", "payload": GOOD_TEST_CASE}),
        (
            "bad createTestCase: a parameter value that is a number",
            False,
            {
                "kind": "createTestCase",
                "payload": _with(GOOD_TEST_CASE, parameterValues=[{"name": "minValue", "value": 0}]),
            },
        ),
        (
            "bad createTestCase: an entity link with '|'",
            False,
            {"kind": "createTestCase", "payload": _with(GOOD_TEST_CASE, entityLink="<#E::table::a|b::columns::c>")},
        ),
        ("good createTestCaseResult", True, {"kind": "createTestCaseResult", "payload": GOOD_TEST_CASE_RESULT}),
        ("good addLineage", True, {"kind": "addLineage", "payload": GOOD_LINEAGE}),
        (
            "bad addLineage: source DynamoDB (not in the closed enum)",
            False,
            {
                "kind": "addLineage",
                "payload": {
                    "edge": _with(
                        GOOD_LINEAGE["edge"], lineageDetails={"description": "dynameta: x", "source": "DynamoDB"}
                    )
                },
            },
        ),
        (
            "good createPipeline",
            True,
            {"kind": "createPipeline", "payload": {"name": "lambda-f", "service": "dynamodb_stream_consumers"}},
        ),
        (
            "good createPipelineService",
            True,
            {
                "kind": "createPipelineService",
                "payload": {
                    "name": "dynamodb_stream_consumers",
                    "serviceType": "CustomPipeline",
                    "connection": {"config": {"type": "CustomPipeline"}},
                },
            },
        ),
        ("good dailyCount", True, {"kind": "dailyCount", "payload": {"date": "2026-12-06", "count": 12}}),
        (
            "bad dailyCount: negative count",
            False,
            {"kind": "dailyCount", "payload": {"date": "2026-12-06", "count": -1}},
        ),
        (
            "bad createTestCaseResult: status Passed",
            False,
            {"kind": "createTestCaseResult", "payload": _with(GOOD_TEST_CASE_RESULT, testCaseStatus="Passed")},
        ),
        (
            "bad createTestCaseResult: no testResultValue",
            False,
            {
                "kind": "createTestCaseResult",
                "payload": {k: v for k, v in GOOD_TEST_CASE_RESULT.items() if k != "testResultValue"},
            },
        ),
        (
            "good createClassification",
            True,
            {
                "kind": "createClassification",
                "payload": {"name": "cost.center", "description": "AWS tag key", "mutuallyExclusive": False},
            },
        ),
        (
            "bad createClassification: no description",
            False,
            {"kind": "createClassification", "payload": {"name": "team"}},
        ),
        (
            "good createTag",
            True,
            {
                "kind": "createTag",
                "payload": {"classification": '"cost.center"', "name": "cc-1", "description": "AWS tag value"},
            },
        ),
        (
            "bad createTag: unknown field",
            False,
            {"kind": "createTag", "payload": {"classification": "team", "name": "x", "description": "d", "colour": 1}},
        ),
    ]


def cmd_selftest(_args: argparse.Namespace) -> int:
    failures = []
    unfit = check_models_are_strict()
    if unfit:
        failures.append(unfit)
    results = []
    for name, should_pass, rec in selftest_cases():
        validator = Validator(strict=True)
        validator.record(name, rec)
        passed = not validator.failures
        why = "; ".join(f.message for f in validator.failures)
        results.append(
            {"case": name, "expected": "pass" if should_pass else "fail", "passed": passed, "detail": why or None}
        )
        if passed != should_pass:
            failures.append(
                f"selftest case '{name}': expected to {'pass' if should_pass else 'fail'} but it "
                f"{'passed' if passed else 'failed: ' + why}"
            )
    summary = {"ok": not failures, "oracleStrict": unfit is None, "cases": results}
    return report(summary, failures)


# ---------------------------------------------------------------------------------------
# readback


class CollectingHandler(logging.Handler):
    """Keeps the OpenMetadata client's warnings (it logs, rather than raises, some errors)."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(f"{record.levelname} {record.name}: {record.getMessage()}")

    def take(self) -> list[str]:
        taken, self.messages = self.messages, []
        return taken


def describe_exception(err: BaseException) -> str:
    """An exception from the client as one line, with the HTTP status when there is one."""
    if isinstance(err, ValidationError):
        return f"response does not parse as OpenMetadata's model: {describe_validation_error(err)}"
    status = getattr(err, "status_code", None)
    prefix = f"HTTP {status} " if status else ""
    return f"{prefix}{type(err).__name__}: {err}"


def walk_columns(columns: list[Any] | None) -> list[Any]:
    """Every column, nested children included, depth first."""
    out = []
    for column in columns or []:
        out.append(column)
        out.extend(walk_columns(column.children))
    return out


def enum_value(value: Any) -> Any:
    return getattr(value, "value", value)


def root_value(value: Any) -> Any:
    return getattr(value, "root", value)


def read_table(client: Any, fqn: str, args: argparse.Namespace, logs: CollectingHandler) -> dict[str, Any]:
    """Reads one table back as OpenMetadata's client does; a summary with its failures."""
    from metadata.generated.schema.entity.data.table import Table  # noqa: PLC0415

    out: dict[str, Any] = {"table": fqn, "failures": []}
    fail = out["failures"].append

    try:
        table = client.get_by_name(entity=Table, fqn=fqn, fields=["columns", "tags", "tableConstraints", "owners"])
    except Exception as err:  # noqa: BLE001 (any client error is a failed check)
        table = None
        fail(f"get_by_name: {describe_exception(err)}")
    else:
        if table is None:
            fail("get_by_name: no such table (the client got a 404 and returned None)")
    if table is None:
        # The other reads are of the same table: their failures would only repeat this one.
        out["ok"] = False
        out["clientWarnings"] = logs.take()
        return out

    every = walk_columns(table.columns)
    tagged = [c for c in every if c.tags]
    out.update(
        {
            "id": str(root_value(table.id)),
            "columns": len(table.columns),
            # As the client gives them: OpenMetadata's reserved keywords decoded.
            "columnNames": [root_value(c.name) for c in table.columns],
            "columnsIncludingNested": len(every),
            "constraintTypes": sorted({str(enum_value(c.constraintType)) for c in table.tableConstraints or []}),
            "taggedColumns": len(tagged),
            "columnTags": sorted({str(root_value(t.tagFQN)) for c in tagged for t in c.tags}),
            "tableTags": len(table.tags or []),
            "tableTagFQNs": sorted(str(root_value(t.tagFQN)) for t in table.tags or []),
            "owners": [{"type": str(o.type), "name": str(o.name)} for o in (table.owners.root if table.owners else [])],
        }
    )
    if args.expect_tags and not tagged:
        fail("--expect-tags: no column carries a tag")
    if args.expect_table_tags and not table.tags:
        fail("--expect-table-tags: the table carries no tag")
    if args.expect_owners and not out["owners"]:
        fail("--expect-owners: the table has no owner")

    if hasattr(client, "get_table_columns") and not args.skip_columns_api:
        check_columns_api(client, fqn, table, out)
    if args.expect_profile:
        check_latest_profile(client, fqn, out)
    if args.expect_sample_data:
        check_sample_data(client, table, out, logs)

    warned = logs.take()
    if warned:
        out.setdefault("clientWarnings", []).extend(warned)
    out["ok"] = not out["failures"]
    return out


def check_columns_api(client: Any, fqn: str, table: Any, out: dict[str, Any]) -> None:
    """The columns paging API (GET /tables/name/{fqn}/columns), called as the client does:
    no limit, so the server's default first page (50 columns)."""
    try:
        paged = client.get_table_columns(fqn)
    except Exception as err:  # noqa: BLE001 (any client error is a failed check)
        out["failures"].append(f"get_table_columns: {describe_exception(err)}")
        return
    out["columnsApi"] = len(paged)
    names = [root_value(c.name) for c in table.columns]
    got = [root_value(c.name) for c in paged]
    # A first page: the table's first columns, all of them unless the page is full.
    if got != names[: len(got)] or (len(got) < len(names) and len(got) < COLUMNS_PAGE):
        out["failures"].append(
            f"get_table_columns returned {len(got)} columns {got[:10]}, the table has {len(names)}: {names[:10]}"
        )


def check_latest_profile(client: Any, fqn: str, out: dict[str, Any]) -> None:
    """get_latest_table_profile: a table profile, and a profile on some column."""
    fail = out["failures"].append
    try:
        profiled = client.get_latest_table_profile(fqn)
    except Exception as err:  # noqa: BLE001
        fail(f"get_latest_table_profile: {describe_exception(err)}")
        return
    if profiled is None:
        fail("get_latest_table_profile: None (the client got a 404)")
        return
    profile = profiled.profile
    column_profiles = [c for c in walk_columns(profiled.columns) if c.profile is not None]
    out["profileRowCount"] = profile.rowCount if profile else None
    out["profiledColumns"] = len(column_profiles)
    if profile is None:
        fail("get_latest_table_profile: the table has no profile (tableProfile)")
    # An empty table has nothing to profile per column; any other table must have some.
    if not column_profiles and profile is not None and (profile.rowCount or 0) > 0:
        fail("get_latest_table_profile: no column has a profile")


def check_sample_data(client: Any, table: Any, out: dict[str, Any], logs: CollectingHandler) -> None:
    """get_sample_data: columns and rows, every row as wide as the columns."""
    fail = out["failures"].append
    # get_sample_data swallows errors (it logs a warning and returns None).
    with_sample = client.get_sample_data(table)
    warned = logs.take()
    out.setdefault("clientWarnings", []).extend(warned)
    sample = with_sample.sampleData if with_sample is not None else None
    if sample is None:
        detail = f" ({' | '.join(warned)})" if warned else ""
        fail(f"get_sample_data: no sample data{detail}")
        return
    columns = [root_value(c) for c in sample.columns or []]
    rows = sample.rows or []
    out["sampleColumns"] = len(columns)
    out["sampleRows"] = len(rows)
    if not columns or not rows:
        fail(f"get_sample_data: {len(columns)} columns and {len(rows)} rows")
    widths = {len(r) for r in rows}
    if widths - {len(columns)}:
        fail(f"get_sample_data: rows of {sorted(widths)} values for {len(columns)} columns")


def cmd_readback(args: argparse.Namespace) -> int:
    # Quiet the client's own logging (basicConfig to stderr at import); keep its warnings.
    logs = CollectingHandler()
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(logs)
    if args.verbose:
        root.addHandler(logging.StreamHandler(sys.stderr))
        root.setLevel(logging.DEBUG)

    from metadata.generated.schema.entity.services.connections.metadata.openMetadataConnection import (  # noqa: PLC0415
        OpenMetadataConnection,
    )
    from metadata.generated.schema.security.client.openMetadataJWTClientConfig import (  # noqa: PLC0415
        OpenMetadataJWTClientConfig,
    )
    from metadata.ingestion.ometa.ometa_api import OpenMetadata  # noqa: PLC0415

    host_port = args.server.rstrip("/")
    if not host_port.endswith("/api"):
        host_port += "/api"
    summary: dict[str, Any] = {"server": host_port, "tables": []}
    try:
        connection = OpenMetadataConnection(
            hostPort=host_port,
            authProvider="openmetadata",
            securityConfig=OpenMetadataJWTClientConfig(jwtToken=args.token),
        )
        # Checks GET /v1/system/version against the client's major.minor (2.0).
        client = OpenMetadata(connection)
        summary["serverVersion"] = client.server_version
        summary["clientVersion"] = client.client_version
    except Exception as err:  # noqa: BLE001
        message = f"OpenMetadata client init ({host_port}): {describe_exception(err)}"
        summary.update({"ok": False, "failures": [message], "clientWarnings": logs.take()})
        return report(summary, [message])

    failure_lines: list[str] = []
    try:
        for fqn in args.table:
            result = read_table(client, fqn, args, logs)
            summary["tables"].append(result)
            failure_lines.extend(f"{fqn}: {text}" for text in result["failures"])
    finally:
        client.close()
    summary["ok"] = not failure_lines
    return report(summary, failure_lines)


# ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="om_oracle.py",
        description="Judge dynameta's output with OpenMetadata 2.0.7's own Python models and client.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    validate = sub.add_parser("validate", help="parse file-sink JSON Lines with OpenMetadata's models")
    validate.add_argument("files", nargs="+", metavar="FILE")
    validate.add_argument("--lax", action="store_true", help="only pydantic's lax mode (as the client parses)")
    validate.set_defaults(run=cmd_validate)

    readback = sub.add_parser("readback", help="read tables back with OpenMetadata's REST client")
    readback.add_argument("--server", required=True, help="server URL, e.g. http://127.0.0.1:8585/api")
    readback.add_argument("--token", required=True, help="JWT sent as Authorization: Bearer")
    readback.add_argument("--table", required=True, action="append", metavar="FQN", help="table FQN (repeatable)")
    readback.add_argument("--expect-profile", action="store_true", help="latest table and column profiles present")
    readback.add_argument("--expect-sample-data", action="store_true", help="sample data with columns and rows")
    readback.add_argument("--expect-tags", action="store_true", help="at least one column tagged")
    readback.add_argument("--expect-table-tags", action="store_true", help="the table carries a tag")
    readback.add_argument("--expect-owners", action="store_true", help="the table has an owner")
    readback.add_argument(
        "--skip-columns-api", action="store_true", help="do not call get_table_columns (GET /tables/name/{fqn}/columns)"
    )
    readback.add_argument("--verbose", action="store_true", help="echo the client's logging to stderr")
    readback.set_defaults(run=cmd_readback)

    selftest = sub.add_parser("selftest", help="negative control: known-good and known-bad records")
    selftest.set_defaults(run=cmd_selftest)

    args = parser.parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
