"""Daily DynamoDB metadata for OpenMetadata with dynameta: ingest, then profile and classify.

Copy this file into your Airflow DAGs folder and install the dynameta wheel into the
environment Airflow runs tasks in (`pip install dynameta-*.whl` puts `dynameta` on its
PATH). Put three workflow files (OpenMetadata's workflow YAML, see the project's examples/)
in one folder and point DYNAMETA_WORKFLOWS_DIR at it (default /opt/airflow/dynameta):

    ingest.yaml     sourceConfig.config.type: DatabaseMetadata
    profile.yaml    sourceConfig.config.type: Profiler
    classify.yaml   sourceConfig.config.type: AutoClassification

each with `sink: {type: metadata-rest}` to publish to OpenMetadata. Keep keys out of them:
`${NAME}` in a workflow is an environment variable of the task (or use the worker's IAM
role / default AWS credential chain).

Every dynameta exit code but 0 fails its task: 1 a table or the sink failed, 2 bad
configuration, 3 DynamoDB listed no table (wrong region, account or filter); the previous
output is kept and the log says why. A task stopped by Airflow (timeout, "mark failed")
gets SIGTERM: dynameta stops cleanly and exits 143.
"""

from __future__ import annotations

import os
import shlex
from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.bash import BashOperator

WORKFLOWS = os.environ.get("DYNAMETA_WORKFLOWS_DIR", "/opt/airflow/dynameta")
DYNAMETA = os.environ.get("DYNAMETA_BIN", "dynameta")


def dynameta(command: str, workflow: str) -> str:
    """The task's shell command; a trailing space keeps Airflow from reading the
    command as the path of a Jinja template file."""
    path = os.path.join(WORKFLOWS, workflow)
    return f"{shlex.quote(DYNAMETA)} {command} -c {shlex.quote(path)} "


with DAG(
    dag_id="dynameta_dynamodb",
    description="DynamoDB tables, profiles and PII tags into OpenMetadata (dynameta)",
    schedule="@daily",
    start_date=datetime(2025, 1, 1),
    catchup=False,
    max_active_runs=1,  # one run per output / service at a time
    default_args={
        "retries": 1,
        "retry_delay": timedelta(minutes=10),
        "execution_timeout": timedelta(hours=6),
    },
    tags=["dynameta", "openmetadata", "dynamodb"],
) as dag:
    metadata = BashOperator(task_id="metadata", bash_command=dynameta("ingest", "ingest.yaml"))
    # Profile and classify find tables by name in OpenMetadata: they run after ingest.
    profile = BashOperator(task_id="profile", bash_command=dynameta("profile", "profile.yaml"))
    classify = BashOperator(task_id="classify", bash_command=dynameta("classify", "classify.yaml"))
    metadata >> [profile, classify]
