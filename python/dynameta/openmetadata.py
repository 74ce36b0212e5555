"""OpenMetadata custom connector: ``dynameta.openmetadata.DynamoDBSource``.

In OpenMetadata, create a *Custom Database* service with::

    sourcePythonClass: dynameta.openmetadata.DynamoDBSource
    connectionOptions:            # strings, as OpenMetadata's UI stores them
      awsRegion: us-east-1
      assumeRoleArn: arn:aws:iam::123456789012:role/catalog-reader
      sampleSize: "1000"

``connectionOptions`` take OpenMetadata's ``awsConfig`` keys under their own names
(``awsAccessKeyId``, ``awsSecretAccessKey``, ``awsSessionToken``, ``awsRegion``,
``endPointURL``, ``profileName``, ``assumeRoleArn``, ``assumeRoleSessionName``,
``assumeRoleSourceIdentity``), ``databaseName``, dynameta's ``connectionArguments``
(``sampleSize``, ``sampleSegments``, ``maxAttempts``, ...; see docs/configuration.md)
``allowEmpty`` and ``allowMassDelete`` (let ``markDeletedTables`` soft-delete more than
half of the schema's tables in one run). A value may be ``${NAME}``: an environment variable of the ingestion
environment, substituted by dynameta.

Why the binary and not bindings: the engine is the same ``dynameta`` binary users run
by hand and from cron, with its tested exit codes, atomic outputs, signal handling and
secret redaction; running it as a child process keeps a crash or a stuck AWS call out of
OpenMetadata's worker, and costs one process per run. The connector writes a workflow
file for it (file sink into a private temporary folder), runs ``dynameta ingest``, reads
the JSON Lines records back and yields OpenMetadata's own request models built from
them, so OpenMetadata's sink publishes them and its workflow status counts them.

Secrets (``awsAccessKeyId``, ``awsSecretAccessKey``, ``awsSessionToken``) are handed to
the binary in environment variables referenced from the workflow file as ``${...}``:
they never touch the disk, are never logged, and the service this connector creates in
OpenMetadata (when it does not exist yet) carries its options without them.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import traceback
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from metadata.generated.schema.api.data.createDatabase import CreateDatabaseRequest
from metadata.generated.schema.api.data.createDatabaseSchema import (
    CreateDatabaseSchemaRequest,
)
from metadata.generated.schema.api.data.createTable import CreateTableRequest
from metadata.generated.schema.api.services.createDatabaseService import (
    CreateDatabaseServiceRequest,
)
from metadata.generated.schema.entity.services.connections.connectionBasicType import (
    ConnectionOptions,
)
from metadata.generated.schema.entity.services.connections.database.customDatabaseConnection import (
    CustomDatabaseConnection,
)
from metadata.generated.schema.entity.services.databaseService import (
    DatabaseConnection,
    DatabaseService,
    DatabaseServiceType,
)
from metadata.generated.schema.metadataIngestion.workflow import (
    Source as WorkflowSource,
)
from metadata.ingestion.api.models import Either, StackTraceError
from metadata.ingestion.api.steps import InvalidSourceException, Source
from metadata.ingestion.connections.test_connections import (
    SourceConnectionException,
    TestConnectionStep,
)
from metadata.ingestion.ometa.ometa_api import OpenMetadata
from metadata.utils.logger import ingestion_logger

from dynameta import BinaryNotFound, find_dynameta_bin

logger = ingestion_logger()

MASK = "**********"

#: ``awsConfig`` keys, by their OpenMetadata names.
AWS_KEYS = (
    "awsAccessKeyId",
    "awsSecretAccessKey",
    "awsSessionToken",
    "awsRegion",
    "endPointURL",
    "profileName",
    "assumeRoleArn",
    "assumeRoleSessionName",
    "assumeRoleSourceIdentity",
)
#: Keys whose values are passed in the environment, never written or logged.
SECRET_KEYS = ("awsAccessKeyId", "awsSecretAccessKey", "awsSessionToken")
#: Options of this connector itself (not dynameta's connectionArguments).
CONNECTOR_KEYS = ("databaseName", "allowEmpty", "allowMassDelete")

_ENV_REF = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*\}$")
_INT = re.compile(r"^[+-]?[0-9]+$")
_FLOAT = re.compile(r"^[+-]?([0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)([eE][+-]?[0-9]+)?$")

# Where dynameta names a key of the workflow it was given, and the key the user wrote.
_KEY_MAP = (
    ("source.serviceConnection.config.awsConfig.", "connectionOptions."),
    ("source.serviceConnection.config.connectionArguments.", "connectionOptions."),
    ("source.serviceConnection.config.databaseName", "connectionOptions.databaseName"),
    ("source.sourceConfig.", "sourceConfig."),
)


class DynametaConfigError(InvalidSourceException):
    """The service connection or pipeline configuration is not usable by dynameta."""


class DynametaRunError(RuntimeError):
    """The dynameta binary could not run, or ended in a way the connector cannot use."""


def _user_key(key: str) -> str:
    for theirs, ours in _KEY_MAP:
        if key.startswith(theirs):
            return ours + key[len(theirs) :]
    return key


def _typed(value: str) -> Any:
    """A connectionOptions string as the JSON type dynameta's option expects.

    OpenMetadata stores connectionOptions as strings; dynameta's options are numbers,
    booleans or strings, and dynameta range-checks them (naming the key) itself.
    """
    text = value.strip()
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    return value


def _truthy(key: str, value: str | None) -> bool:
    if value is None:
        return False
    text = value.strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no", ""):
        return False
    raise DynametaConfigError(
        f"connectionOptions.{key}: {value!r} is not a boolean. Set it to \"true\" or \"false\"."
    )


@dataclass
class RunSpec:
    """What one dynameta run needs: its workflow (no secrets) and environment."""

    workflow: dict[str, Any]
    env: dict[str, str] = field(default_factory=dict)
    allow_empty: bool = False
    allow_mass_delete: bool = False


def build_run_spec(
    service_name: str,
    connection: CustomDatabaseConnection,
    source_config: dict[str, Any] | None,
    output: str,
    server_host_port: str | None = None,
) -> RunSpec:
    """The dynameta workflow for a Custom Database service connection.

    Secrets go in environment variables the workflow references as ``${...}``; values
    that already are a ``${NAME}`` reference are kept, for dynameta to substitute from
    the ingestion environment.
    """
    options: dict[str, str | None] = dict(connection.connectionOptions.root) if connection.connectionOptions else {}
    aws: dict[str, Any] = {}
    arguments: dict[str, Any] = {}
    env: dict[str, str] = {}
    for key, value in options.items():
        if value is None:
            continue
        if key in SECRET_KEYS:
            if _ENV_REF.match(value):
                aws[key] = value
            else:
                var = "DYNAMETA_OM_" + re.sub(r"(?<!^)(?=[A-Z])", "_", key).upper()
                env[var] = value
                aws[key] = "${" + var + "}"
        elif key in AWS_KEYS:
            aws[key] = value
        elif key in CONNECTOR_KEYS:
            continue
        else:
            close = difflib.get_close_matches(key, AWS_KEYS + CONNECTOR_KEYS, n=1, cutoff=0.8)
            if close:
                raise DynametaConfigError(
                    f"connectionOptions.{key}: unknown option. Did you mean {close[0]}?"
                )
            # dynameta's own connectionArguments; dynameta rejects unknown ones, naming them.
            arguments[key] = _typed(value)
    if "awsRegion" not in aws:
        raise DynametaConfigError(
            "connectionOptions.awsRegion: required option is missing. "
            "Add awsRegion with the AWS region of your tables, e.g. us-east-1."
        )
    config: dict[str, Any] = {"type": "DynamoDB", "awsConfig": aws}
    if arguments:
        config["connectionArguments"] = arguments
    if options.get("databaseName"):
        config["databaseName"] = options["databaseName"]
    # The service's default filters apply when the pipeline has none, as in OpenMetadata.
    for pattern in ("databaseFilterPattern", "schemaFilterPattern", "tableFilterPattern"):
        filter_pattern = getattr(connection, pattern, None)
        if filter_pattern is not None:
            config[pattern] = filter_pattern.model_dump(mode="json", exclude_none=True)
    pipeline = dict(source_config or {})
    pipeline.setdefault("type", "DatabaseMetadata")
    workflow = {
        "source": {
            "type": "dynamodb",
            "serviceName": service_name,
            "serviceConnection": {"config": config},
            "sourceConfig": {"config": pipeline},
        },
        "sink": {"type": "file", "config": {"filename": output}},
        "workflowConfig": {
            "loggerLevel": "INFO",
            # Required by OpenMetadata's schema; the file sink sends nothing to the server,
            # so it gets no token (a placeholder, not a secret).
            "openMetadataServerConfig": {
                "hostPort": server_host_port or "http://localhost:8585/api",
                "authProvider": "openmetadata",
                "securityConfig": {"jwtToken": "unused-by-the-file-sink"},
            },
        },
    }
    return RunSpec(
        workflow=workflow,
        env=env,
        allow_empty=_truthy("allowEmpty", options.get("allowEmpty")),
        allow_mass_delete=_truthy("allowMassDelete", options.get("allowMassDelete")),
    )


#: The environment variable the OpenMetadata token reaches dynameta in (never a file).
JWT_ENV = "DYNAMETA_OM_JWT"


def build_mark_deleted_spec(spec: RunSpec, metadata_config: Any) -> RunSpec | None:
    """The ``dynameta publish`` run that soft-deletes the tables DynamoDB no longer
    lists: the ingest workflow with dynameta's metadata-rest sink pointed at the
    OpenMetadata server this workflow publishes to, its token in the environment.

    ``None`` when the server's token is not an OpenMetadata JWT (another auth provider):
    dynameta's REST sink authenticates with a bearer JWT only.
    """
    security = getattr(metadata_config, "securityConfig", None)
    token = getattr(security, "jwtToken", None) if security is not None else None
    if token is None:
        return None
    value = token.get_secret_value() if hasattr(token, "get_secret_value") else str(token)
    if not value:
        return None
    server: dict[str, Any] = {
        "hostPort": str(metadata_config.hostPort),
        "authProvider": "openmetadata",
        "securityConfig": {"jwtToken": "${" + JWT_ENV + "}"},
    }
    verify = getattr(metadata_config, "verifySSL", None)
    verify = getattr(verify, "value", verify)
    if verify:
        server["verifySSL"] = verify
    ssl = getattr(metadata_config, "sslConfig", None)
    ca = getattr(getattr(ssl, "root", ssl), "caCertificate", None) if ssl is not None else None
    if ca:
        server["sslConfig"] = {"caCertificate": str(ca)}
    workflow = json.loads(json.dumps(spec.workflow))
    workflow["sink"] = {"type": "metadata-rest", "config": {}}
    workflow["workflowConfig"]["openMetadataServerConfig"] = server
    env = dict(spec.env)
    env[JWT_ENV] = value
    return RunSpec(workflow=workflow, env=env, allow_mass_delete=spec.allow_mass_delete)


@dataclass
class Outcome:
    """How a dynameta run ended."""

    code: int
    stdout_json: list[dict[str, Any]]
    config_error: dict[str, Any] | None

    def find(self, key: str) -> dict[str, Any] | None:
        for obj in self.stdout_json:
            if key in obj:
                return obj
        return None


def _forward_logs(stream: Iterable[str], sink: list[dict[str, Any]]) -> None:
    """dynameta's JSON log lines to OpenMetadata's ingestion logger (dynameta has
    already masked every secret in them)."""
    for raw in stream:
        line = raw.rstrip("\n")
        if not line:
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            logger.info(f"dynameta: {line}")
            continue
        if not isinstance(obj, dict):
            logger.info(f"dynameta: {line}")
            continue
        if obj.get("error") == "config":
            sink.append(obj)
            continue
        raw_fields = obj.get("fields")
        fields: dict[str, Any] = raw_fields if isinstance(raw_fields, dict) else {}
        message = fields.get("message") or obj.get("message") or line
        extra = {k: v for k, v in fields.items() if k != "message"}
        text = f"dynameta: {message}" + (f" {json.dumps(extra)}" if extra else "")
        level = str(obj.get("level", "INFO")).upper()
        if level == "ERROR":
            logger.error(text)
        elif level in ("WARN", "WARNING"):
            logger.warning(text)
        elif level in ("DEBUG", "TRACE"):
            logger.debug(text)
        else:
            logger.info(text)


class DynametaRunner:
    """Runs the dynameta binary on a generated workflow in a private temporary folder."""

    def __init__(self) -> None:
        self.binary = find_dynameta_bin()
        # mkdtemp: mode 0700, readable by this user only.
        self.workdir = tempfile.mkdtemp(prefix="dynameta-om-")
        self._cleanup = weakref.finalize(self, shutil.rmtree, self.workdir, True)

    def path(self, name: str) -> str:
        return os.path.join(self.workdir, name)

    def run(
        self, command: str, spec: RunSpec, timeout: float | None = None, extra: tuple[str, ...] = ()
    ) -> Outcome:
        workflow_file = self.path(f"{command}.yaml")
        # JSON is YAML; the file holds no secret (they are ${...} references), 0600 anyway.
        fd = os.open(workflow_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(spec.workflow, handle, indent=2)
        args = [self.binary, command, "-c", workflow_file, "--log-format", "json", "--quiet"]
        if spec.allow_empty and command != "test-connection":
            args.append("--allow-empty")
        if spec.allow_mass_delete and command in ("ingest", "publish"):
            args.append("--allow-mass-delete")
        args.extend(extra)
        env = dict(os.environ)
        env.update(spec.env)
        logger.info(f"Running {' '.join(args[:2])} (dynameta {self.binary})")
        try:
            proc = subprocess.Popen(
                args,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
                env=env,
                text=True,
                encoding="utf-8",
                errors="replace",
                cwd=self.workdir,
            )
        except OSError as err:
            raise DynametaRunError(
                f"cannot run the dynameta binary {self.binary}: {err}. "
                "Reinstall the dynameta wheel, or set DYNAMETA_BIN to a working binary."
            ) from err
        # stderr (logs) and stdout (the report or summary) are each read by one thread
        # of their own, so neither pipe can fill up and stall the binary.
        config_errors: list[dict[str, Any]] = []
        stdout: list[str] = []
        out_pipe, err_pipe = proc.stdout, proc.stderr
        if out_pipe is None or err_pipe is None:  # not with stdout=PIPE, stderr=PIPE
            proc.kill()
            raise DynametaRunError(f"dynameta {command}: no pipe to read its output from")
        readers = [
            threading.Thread(target=_forward_logs, args=(err_pipe, config_errors), daemon=True),
            threading.Thread(target=lambda: stdout.append(out_pipe.read()), daemon=True),
        ]
        for reader in readers:
            reader.start()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired as err:
            proc.terminate()  # SIGTERM: dynameta removes its temporary output and stops
            proc.wait()
            raise DynametaRunError(f"dynameta {command} did not finish within {timeout:.0f} s") from err
        finally:
            for reader in readers:
                reader.join()
        parsed = []
        for line in "".join(stdout).splitlines():
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict):
                parsed.append(obj)
        return Outcome(proc.returncode, parsed, config_errors[0] if config_errors else None)

    def close(self) -> None:
        self._cleanup()


def _config_message(error: dict[str, Any]) -> str:
    key = _user_key(str(error.get("key") or ""))
    text = f"{key}: {error.get('problem', 'invalid')}"
    if error.get("hint"):
        text += f" {error['hint']}"
    return text


def _read_records(path: str) -> list[dict[str, Any]]:
    records = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except ValueError as err:
                raise DynametaRunError(f"{path}:{number}: not a JSON record ({err})") from err
    return records


# --- test connection -------------------------------------------------------------------


@dataclass
class StepResult:
    """One dynameta test-connection step."""

    name: str
    mandatory: bool
    status: str
    detail: str
    hint: str | None = None
    error_code: str | None = None
    missing_action: str | None = None

    def message(self) -> str:
        parts = [f"{self.name}: {self.status}: {self.detail}"]
        if self.error_code:
            parts.append(f"error code {self.error_code}")
        if self.missing_action:
            parts.append(f"missing IAM permission {self.missing_action}")
        if self.hint:
            parts.append(f"hint: {self.hint}")
        return "; ".join(parts)


def _test_connection_report(runner: DynametaRunner, spec: RunSpec) -> tuple[str, list[StepResult]]:
    """(verdict, steps) of ``dynameta test-connection``; a configuration error is one
    failed step named ``Configuration``."""
    outcome = runner.run("test-connection", spec, timeout=300)
    if outcome.config_error is not None:
        return "FAILED", [
            StepResult(
                name="Configuration",
                mandatory=True,
                status="FAIL",
                detail=_config_message(outcome.config_error),
                hint=None,
            )
        ]
    report = outcome.find("steps")
    if report is None:
        raise DynametaRunError(
            f"dynameta test-connection exited {outcome.code} without a report; see the dynameta lines above"
        )
    steps = [
        StepResult(
            name=str(s.get("name")),
            mandatory=bool(s.get("mandatory")),
            status=str(s.get("status")),
            detail=str(s.get("detail", "")),
            hint=s.get("hint"),
            error_code=s.get("errorCode"),
            missing_action=s.get("missingAction"),
        )
        for s in report.get("steps", [])
    ]
    return str(report.get("verdict")), steps


def _raise_step(step: StepResult) -> None:
    if step.status != "PASS":
        raise SourceConnectionException(step.message())


def _openmetadata_steps(steps: list[StepResult]) -> list[TestConnectionStep]:
    """dynameta's steps as OpenMetadata's, already run: each passes or raises with
    dynameta's detail, and its hint is the message OpenMetadata's UI shows."""
    return [
        TestConnectionStep(
            function=(lambda step=step: _raise_step(step)),
            name=step.name,
            description=None,
            error_message=step.hint or step.detail,
            mandatory=step.mandatory,
            short_circuit=False,
        )
        for step in steps
    ]


def get_connection(connection: CustomDatabaseConnection) -> CustomDatabaseConnection:
    """OpenMetadata's ``get_connection`` for custom connectors: there is no client to
    build (the binary connects on every run), so the connection is its own handle."""
    return connection


def test_connection(
    metadata: OpenMetadata,
    connection: Any,
    service_connection: CustomDatabaseConnection,
    automation_workflow: Any = None,
    timeout_seconds: int | None = None,
) -> Any:
    """What OpenMetadata's UI runs on *Test Connection* for this custom connector
    (``metadata.ingestion.source.connections.get_test_connection_fn``): dynameta's
    test-connection steps, reported one by one as OpenMetadata's steps (name, mandatory,
    passed, message = dynameta's hint, errorLog = dynameta's detail)."""
    # Imported here: a private helper of OpenMetadata's test connection, the same one its
    # own connectors run through test_connection_steps (which needs a server-side
    # definition of the step names; ours are dynameta's).
    from metadata.ingestion.connections.test_connections import (  # noqa: PLC0415  # pylint: disable=import-outside-toplevel
        _test_connection_steps,
    )

    runner = None
    try:
        runner = DynametaRunner()
        spec = build_run_spec("test_connection", service_connection, None, runner.path("unused.jsonl"))
        _, steps = _test_connection_report(runner, spec)
    except DynametaConfigError as err:
        steps = [StepResult("Configuration", True, "FAIL", str(err))]
    except (BinaryNotFound, DynametaRunError) as err:  # reported as a step, as the UI expects
        steps = [StepResult("dynameta", True, "FAIL", str(err))]
    finally:
        if runner is not None:
            runner.close()
    return _test_connection_steps(metadata, _openmetadata_steps(steps), automation_workflow)


# --- the source ------------------------------------------------------------------------


class DynamoDBSource(Source):
    """OpenMetadata custom connector for DynamoDB, running the dynameta engine."""

    def __init__(self, config: WorkflowSource, metadata: OpenMetadata, pipeline_name: str | None = None):
        super().__init__()
        self.config = config
        self.metadata = metadata
        self.pipeline_name = pipeline_name
        self.service_connection: CustomDatabaseConnection = config.serviceConnection.root.config
        self.runner = DynametaRunner()
        self.output = self.runner.path("metadata.jsonl")
        self._created_service = False
        source_config = None
        if config.sourceConfig is not None and config.sourceConfig.config is not None:
            source_config = config.sourceConfig.config.model_dump(mode="json", exclude_unset=True, exclude_none=True)
        host_port = None
        try:
            host_port = str(metadata.config.hostPort)
        except AttributeError:
            pass
        self.spec = build_run_spec(
            config.serviceName, self.service_connection, source_config, self.output, host_port
        )
        # OpenMetadata's default for pipelines made in its UI is true.
        pipeline = config.sourceConfig.config if config.sourceConfig is not None else None
        self.mark_deleted_tables = bool(getattr(pipeline, "markDeletedTables", True) is not False)

    @classmethod
    def create(
        cls,
        config_dict: dict[str, Any],
        metadata: OpenMetadata,
        pipeline_name: str | None = None,
    ) -> DynamoDBSource:
        config: WorkflowSource = WorkflowSource.model_validate(config_dict)
        connection = config.serviceConnection.root.config if config.serviceConnection else None
        if not isinstance(connection, CustomDatabaseConnection):
            raise InvalidSourceException(
                f"dynameta.openmetadata.DynamoDBSource needs a CustomDatabase service connection, got "
                f"{type(connection).__name__}. Set serviceConnection.config.type: CustomDatabase."
            )
        return cls(config, metadata, pipeline_name)

    def prepare(self) -> None:
        # As OpenMetadata's database sources do when they start: a connection that does
        # not work stops the workflow before anything is published.
        self.test_connection()

    def test_connection(self) -> None:
        verdict, steps = _test_connection_report(self.runner, self.spec)
        for step in steps:
            line = step.message()
            if step.status == "PASS":
                logger.info(f"dynameta test-connection: {line}")
            elif step.mandatory:
                logger.error(f"dynameta test-connection: {line}")
            else:
                logger.warning(f"dynameta test-connection: {line}")
        if verdict not in ("PASSED", "PASSED_WITH_WARNINGS"):
            bad = [s for s in steps if s.mandatory and s.status != "PASS"] or steps
            raise SourceConnectionException(
                f"dynameta test-connection {verdict}: " + " | ".join(s.message() for s in bad)
            )

    def _service_request(self) -> CreateDatabaseServiceRequest | None:
        """The service, when OpenMetadata does not have it yet (a YAML run; the UI
        creates it first). Never overwrites one: its stored options may hold keys."""
        if self.metadata.get_by_name(entity=DatabaseService, fqn=self.config.serviceName) is not None:
            return None
        store = getattr(self.metadata.config, "storeServiceConnection", True)
        options = self.service_connection.connectionOptions.root if self.service_connection.connectionOptions else {}
        clean = {k: v for k, v in options.items() if k not in SECRET_KEYS}
        connection = self.service_connection.model_copy(
            update={"connectionOptions": ConnectionOptions(clean) if clean else None}
        )
        return CreateDatabaseServiceRequest(
            name=self.config.serviceName,
            serviceType=DatabaseServiceType.CustomDatabase,
            connection=DatabaseConnection(config=connection) if store else None,
        )

    def _iter(self) -> Iterable[Either]:
        outcome = self.runner.run("ingest", self.spec)
        if outcome.config_error is not None:
            yield Either(
                left=StackTraceError(name="dynameta configuration", error=_config_message(outcome.config_error))
            )
            return
        summary = (outcome.find("summary") or {}).get("summary") or {}
        for name in summary.get("filtered", []):
            self.status.filter(name, "filtered out by the table filter pattern")
        for warning in summary.get("warnings", []):
            self.status.warning("dynameta", warning)
        if outcome.code == 0:
            path = self.output
        elif outcome.code == 1 and os.path.exists(self.output + ".partial"):
            path = self.output + ".partial"  # what the failed run did get
        else:
            path = None
        if outcome.code == 3:
            yield Either(
                left=StackTraceError(
                    name="dynameta",
                    error=(
                        f"DynamoDB listed {summary.get('tablesListed', 0)} table(s) and the filters selected "
                        "none: a wrong region, account, endpoint or filter looks like this, so nothing is "
                        "published. Set connectionOptions.allowEmpty: \"true\" if an empty run is expected."
                    ),
                )
            )
        elif outcome.code not in (0, 1):
            how = {130: "stopped by SIGINT", 143: "stopped by SIGTERM"}.get(outcome.code, f"exited {outcome.code}")
            yield Either(
                left=StackTraceError(name="dynameta", error=f"dynameta ingest {how}; nothing is published")
            )
        for failure in summary.get("failures", []):
            yield Either(
                left=StackTraceError(
                    name=str(failure.get("name")),
                    error=f"dynameta: {failure.get('name')}: {failure.get('reason')}",
                )
            )
        if path is None:
            return
        records = _read_records(path)
        yield from self._yield_records(records)
        yield from self._mark_deleted(records)

    def _mark_deleted(self, records: list[dict[str, Any]]) -> Iterable[Either]:
        """``markDeletedTables``: the tables of the schema that OpenMetadata has and
        DynamoDB no longer lists are soft-deleted by the same ``deleteStale`` request,
        with the same guards, as dynameta's own REST sink sends (``dynameta publish``
        of this run's table listing): an empty or failed listing deletes nothing, and
        more than half of a schema needs ``connectionOptions.allowMassDelete: "true"``.
        Schemas and databases: the service holds the one database and schema of the
        run, never stale, so ``markDeletedSchemas``/``markDeletedDatabases`` have
        nothing to do."""
        if not self.mark_deleted_tables:
            return
        listing = [r for r in records if r.get("kind") == "tableListing"]
        if not listing:
            logger.info("dynameta: no table listing in this run: no table is marked deleted")
            return
        if self._created_service:
            logger.info("dynameta: the service is new in this run: no table to mark deleted")
            return
        spec = build_mark_deleted_spec(self.spec, self.metadata.config)
        if spec is None:
            yield Either(
                left=StackTraceError(
                    name="markDeletedTables",
                    error=(
                        "markDeletedTables is not honoured: dynameta soft-deletes tables with OpenMetadata's "
                        "JWT (workflowConfig.openMetadataServerConfig authProvider: openmetadata with "
                        "securityConfig.jwtToken), and this workflow has none. Set markDeletedTables: false "
                        "to silence this, or run `dynameta ingest` with its metadata-rest sink."
                    ),
                )
            )
            return
        listing_file = self.runner.path("listing.jsonl")
        fd = os.open(listing_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            for record in listing:
                handle.write(json.dumps(record) + "\n")
        outcome = self.runner.run("publish", spec, extra=("--from", listing_file))
        summary = (outcome.find("summary") or {}).get("summary") or {}
        for fqn in summary.get("tablesDeleted", []):
            logger.info(f"dynameta: marked deleted {fqn} (DynamoDB no longer lists it)")
        for warning in summary.get("warnings", []):
            self.status.warning("dynameta markDeletedTables", warning)
        if outcome.config_error is not None:
            yield Either(
                left=StackTraceError(name="markDeletedTables", error=_config_message(outcome.config_error))
            )
        elif outcome.code != 0:
            reasons = [f"{f.get('name')}: {f.get('reason')}" for f in summary.get("failures", [])]
            yield Either(
                left=StackTraceError(
                    name="markDeletedTables",
                    error="dynameta could not mark deleted tables: "
                    + ("; ".join(reasons) or f"dynameta publish exited {outcome.code}"),
                )
            )

    def _yield_records(self, records: list[dict[str, Any]]) -> Iterable[Either]:
        service = self._service_request()
        self._created_service = service is not None
        if service is not None:
            yield Either(right=service)
        # No flush barrier between database, schema and tables: OpenMetadata's sink
        # buffers them and its bulk call sends each type parents first
        # (OpenMetadata._group_entities_by_type), and a barrier's flush result would
        # count as one more record in the sink's status.
        for record in records:
            kind = str(record.get("kind"))
            model = {
                "createDatabase": CreateDatabaseRequest,
                "createDatabaseSchema": CreateDatabaseSchemaRequest,
                "createTable": CreateTableRequest,
            }.get(kind)
            if model is None:
                continue  # the service (above), tableListing and dynamodbTable facts
            try:
                yield Either(right=model.model_validate(record["payload"]))
            except Exception as err:  # noqa: BLE001 - a model refusing a payload fails that entity only
                name = (record.get("payload") or {}).get("name", "?")
                yield Either(
                    left=StackTraceError(
                        name=f"{kind} [{name}]",
                        error=f"OpenMetadata's {model.__name__} refused dynameta's payload: {err}",
                        stackTrace=traceback.format_exc(),
                    )
                )

    def close(self) -> None:
        self.runner.close()
