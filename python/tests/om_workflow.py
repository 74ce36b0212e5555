"""Runs OpenMetadata's own workflow machinery on a workflow YAML and prints what it did as
one JSON object on stdout (for crates/dynameta/tests/it/om_connector.rs).

    python om_workflow.py metadata WF.yaml          MetadataWorkflow.create(...).execute()
    python om_workflow.py test-connection WF.yaml   what the UI's Test Connection button runs

Run with the python of a venv holding openmetadata-ingestion 2.0.7 and with `dynameta`
importable (PYTHONPATH=python/ or the wheel installed).
"""

from __future__ import annotations

import json
import sys
import traceback
from typing import Any

import yaml
from metadata.generated.schema.entity.services.connections.metadata.openMetadataConnection import (
    OpenMetadataConnection,
)
from metadata.generated.schema.metadataIngestion.workflow import (
    OpenMetadataWorkflowConfig,
)
from metadata.ingestion.ometa.ometa_api import OpenMetadata
from metadata.ingestion.source.connections import get_connection, get_test_connection_fn
from metadata.workflow.metadata import MetadataWorkflow


def status_of(step: Any) -> dict[str, Any]:
    status = step.get_status()
    return {
        "name": step.name,
        "records": list(status.records),
        "updated": list(status.updated_records),
        "filtered": list(status.filtered),
        "warnings": [str(w) for w in status.warnings],
        "failures": [{"name": f.name, "error": f.error} for f in status.failures],
    }


def metadata(config: dict[str, Any]) -> dict[str, Any]:
    try:
        workflow = MetadataWorkflow.create(config)
    except Exception as err:  # noqa: BLE001 - the source's prepare (test connection) refused to start
        return {"created": False, "error": f"{type(err).__name__}: {err}", "trace": traceback.format_exc()}
    raised = None
    try:
        workflow.execute()
    except Exception as err:  # noqa: BLE001 - reported to the Rust test, which asserts on it
        raised = f"{type(err).__name__}: {err}"
    steps = [status_of(step) for step in workflow.workflow_steps()]
    try:
        workflow.raise_from_status()
        failed = None
    except Exception as err:  # noqa: BLE001 - reported to the Rust test, which asserts on it
        failed = f"{type(err).__name__}: {err}"
    return {
        "created": True,
        "raised": raised,
        "raise_from_status": failed,
        "success": workflow.calculate_success(),
        "steps": steps,
    }


def test_connection(config: dict[str, Any]) -> dict[str, Any]:
    parsed = OpenMetadataWorkflowConfig.model_validate(config)
    service_connection = parsed.source.serviceConnection.root.config
    server = OpenMetadataConnection.model_validate(config["workflowConfig"]["openMetadataServerConfig"])
    client = OpenMetadata(server)
    test_fn = get_test_connection_fn(service_connection)
    result = test_fn(client, get_connection(service_connection), service_connection)
    return {
        "function": f"{test_fn.__module__}.{test_fn.__name__}",
        "status": result.status.value if result.status else None,
        "steps": [
            {"name": s.name, "mandatory": s.mandatory, "passed": s.passed, "message": s.message, "errorLog": s.errorLog}
            for s in result.steps
        ],
    }


def main() -> int:
    if len(sys.argv) != 3 or sys.argv[1] not in ("metadata", "test-connection"):
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[2], encoding="utf-8") as handle:
        config = yaml.safe_load(handle)
    result = metadata(config) if sys.argv[1] == "metadata" else test_connection(config)
    print(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
