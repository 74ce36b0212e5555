"""OpenMetadata 2.0.7's own pandas data-quality validators as an oracle for dynameta.

Issue 23 makes ``dynameta test`` evaluate OpenMetadata test cases over a DynamoDB table.
This script is the differential oracle: it runs the *same* rows through OpenMetadata's
own validators (``metadata/data_quality/validations/{column,table}/pandas/*.py`` of
openmetadata-ingestion 2.0.7, installed in ``.tools/openmetadata``) and prints what they
decide, so a test can compare dynameta's verdict with OpenMetadata's, value by value.

Usage (exit 0 when every case ran, 1 when a validator raised, 2 on bad input; JSON on
stdout)::

    "$DYNAMETA_OM_PYTHON" scripts/om_dq_oracle.py [FILE]   # FILE or stdin

Input, one JSON object::

    {"rows": [{"id": 1, "name": "a"}, {"id": 2}],
     "columns": ["id", "name", "age"],            # optional, see below
     "testCases": [{"name": "ids_not_null",
                    "testDefinitionName": "columnValuesToBeNotNull",
                    "columnName": "id",           # absent or null for table tests
                    "parameterValues": [{"name": "...", "value": "..."}],
                    "computePassedFailedRowCount": false}]}

Output::

    {"results": [{"name": ..., "testCaseStatus": "Success"|"Failed"|"Aborted",
                  "result": "...", "testResultValue": [{"name": ..., "value": ...}],
                  "passedRows": int|null, "failedRows": int|null,
                  "passedRowsPercentage": float|null, "failedRowsPercentage": float|null}]}

How DynamoDB items become a DataFrame (part of what issue 23 documents)
------------------------------------------------------------------------
Rows are DynamoDB items already converted to plain JSON values (``S`` -> string,
``N`` -> number, ``BOOL`` -> bool, ``NULL`` -> JSON null, ``L``/``M`` -> list/object,
sets -> lists). One DataFrame is built with ``pandas.DataFrame(rows, columns=columns)``:

* an attribute **absent** from an item is a missing key, and pandas fills it with
  ``NaN`` (numeric column) or ``None``/``NaN`` (object column) -- exactly as a DynamoDB
  ``NULL`` value does: OpenMetadata's validators cannot tell absent from ``NULL``, both
  count as null (``nullCount``, ``missingCount``) and are skipped by min/max/mean/...;
* ``columns`` (optional) lists the table's columns in order: a column no row has is
  still a DataFrame column (all null), as it is in the catalogued table. Without it the
  columns are the union of the rows' keys (pandas order), so ``tableColumnCount*``
  tests count only attributes some row holds;
* numbers stay JSON numbers: an integer column with a missing value becomes ``float64``
  (pandas' rule), which changes no statistic here;
* the DataFrame is handed to the validator as OpenMetadata's datalake source does: a
  ``PandasRunner`` whose dataset is a callable returning an iterator over the list of
  chunks (here one chunk), see ``metadata/profiler/processor/runner.py``.

The test case is a ``metadata.generated.schema.tests.testCase.TestCase`` with the
entity link ``<#E::table::svc.db.schema.tbl::columns::COL>`` (``<#E::table::...>`` for
table tests), and the validator class is found as OpenMetadata's ``ValidatorBuilder``
does (``import_test_case_class(entityType, "pandas", definitionName,
Name + "Validator")``). The execution date is now in milliseconds, as the builder sets it.
"""

from __future__ import annotations

import json
import logging
import math
import sys
import uuid
import warnings
from datetime import datetime, timezone
from typing import Any

# openmetadata-ingestion and pandas warn at import time (pydantic fields shadowing
# BaseModel attributes, deprecations); that is noise on the oracle's stderr.
warnings.simplefilter("ignore")
logging.disable(logging.CRITICAL)

import pandas as pd  # noqa: E402  (after the warning filters)
from metadata.generated.schema.tests.testCase import TestCase, TestCaseParameterValue  # noqa: E402
from metadata.generated.schema.type.basic import Timestamp  # noqa: E402
from metadata.generated.schema.type.entityReference import EntityReference  # noqa: E402
from metadata.profiler.processor.runner import PandasRunner  # noqa: E402
from metadata.utils.importer import import_test_case_class  # noqa: E402

TABLE_FQN = "oracle_service.oracle_db.oracle_schema.oracle_table"

# Definitions whose validator runs on the whole table; every other one is a column test.
TABLE_TESTS = {
    "tableRowCountToBeBetween",
    "tableRowCountToEqual",
    "tableColumnCountToBeBetween",
    "tableColumnCountToEqual",
    "tableColumnNameToExist",
    "tableColumnToMatchSet",
}


def fail_usage(message: str) -> None:
    print(json.dumps({"error": message}))
    sys.exit(2)


def plain(value: Any) -> Any:
    """A JSON-friendly value (NaN/inf become strings so the output stays JSON)."""
    if value is None:
        return None
    if hasattr(value, "root"):
        value = value.root
    if hasattr(value, "value") and not isinstance(value, (str, bytes)):
        value = value.value
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return str(value)
    return value


def build_runner(rows: list[dict[str, Any]], columns: list[str] | None) -> Any:
    frame = pd.DataFrame(rows, columns=columns) if columns is not None else pd.DataFrame(rows)
    return PandasRunner(dataset=lambda: iter([frame]), raw_dataset=lambda: iter([frame]))


def build_test_case(case: dict[str, Any]) -> Any:
    name = case["name"]
    definition = case["testDefinitionName"]
    column = case.get("columnName")
    link = f"<#E::table::{TABLE_FQN}>"
    if column is not None:
        link = f"<#E::table::{TABLE_FQN}::columns::{column}>"
    params = [
        TestCaseParameterValue(name=p["name"], value=None if p.get("value") is None else str(p["value"]))
        for p in case.get("parameterValues") or []
    ]
    return TestCase(
        id=uuid.uuid4(),
        name=name,
        fullyQualifiedName=f"{TABLE_FQN}.{column}.{name}" if column else f"{TABLE_FQN}.{name}",
        entityLink=link,
        testDefinition=EntityReference(id=uuid.uuid4(), type="testDefinition", fullyQualifiedName=definition),
        testSuite=EntityReference(id=uuid.uuid4(), type="testSuite"),
        parameterValues=params,
        computePassedFailedRowCount=bool(case.get("computePassedFailedRowCount", False)),
    )


def run_case(runner: Any, case: dict[str, Any]) -> dict[str, Any]:
    definition = case["testDefinitionName"]
    entity_type = "table" if definition in TABLE_TESTS else "column"
    validator_name = definition[0].upper() + definition[1:] + "Validator"
    validator_cls = import_test_case_class(entity_type, "pandas", definition, validator_name)
    validator = validator_cls(
        runner,
        test_case=build_test_case(case),
        execution_date=Timestamp(int(datetime.now(tz=timezone.utc).timestamp() * 1000)),
    )
    result = validator.run_validation()
    return {
        "name": case["name"],
        "testCaseStatus": plain(result.testCaseStatus),
        "result": result.result,
        "testResultValue": [
            {"name": v.name, "value": v.value} for v in (result.testResultValue or [])
        ],
        "passedRows": plain(result.passedRows),
        "failedRows": plain(result.failedRows),
        "passedRowsPercentage": plain(result.passedRowsPercentage),
        "failedRowsPercentage": plain(result.failedRowsPercentage),
    }


def main(argv: list[str]) -> int:
    if len(argv) > 1:
        fail_usage("usage: om_dq_oracle.py [FILE]")
    try:
        if argv:
            with open(argv[0], encoding="utf-8") as handle:
                text = handle.read()
        else:
            text = sys.stdin.read()
        spec = json.loads(text)
    except (OSError, ValueError) as err:
        fail_usage(f"cannot read the input: {err}")
    if not isinstance(spec, dict) or not isinstance(spec.get("rows"), list):
        fail_usage('the input must be an object with "rows" (a list of objects) and "testCases"')
    if not all(isinstance(r, dict) for r in spec["rows"]):
        fail_usage('every element of "rows" must be an object (one item)')
    cases = spec.get("testCases")
    if not isinstance(cases, list) or not all(
        isinstance(c, dict) and "name" in c and "testDefinitionName" in c for c in cases
    ):
        fail_usage('"testCases" must be a list of objects with "name" and "testDefinitionName"')
    runner = build_runner(spec["rows"], spec.get("columns"))
    results = []
    code = 0
    for case in cases:
        try:
            results.append(run_case(runner, case))
        except Exception as err:  # noqa: BLE001 - reported, not hidden
            code = 1
            results.append({"name": case["name"], "error": f"{type(err).__name__}: {err}"})
    print(json.dumps({"results": results}, default=str))
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
