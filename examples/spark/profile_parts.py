"""Profile DynamoDB tables with Spark: one `dynameta profile --part I/N` per Spark task,
then `dynameta profile merge` on the driver, which publishes through the workflow's sink
exactly what a single `dynameta profile` run would.

    spark-submit examples/spark/profile_parts.py WORKFLOW.yaml PARTS [DYNAMETA]

Every executor needs the dynameta binary (DYNAMETA, default `dynameta` on PATH), the
workflow file at the same path and the AWS access the workflow uses (DescribeTable +
Scan, or s3:GetObject on the export for tables in connectionArguments.exports). The
driver needs only the workflow and its sink: the parts' states come back to it through
Spark (no shared storage), and merging makes no AWS call.

Parts split each table's planned scan segments, or its export's data files; make PARTS
at most the number of files of the export (or segments of the scan) — extra parts read
nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

from pyspark.sql import SparkSession


def run_part(binary: str, workflow: str, parts: int, index: int) -> tuple[int, str]:
    """Runs part `index` of `parts` and returns its state file's text."""
    with tempfile.TemporaryDirectory(prefix="dynameta-part-") as tmp:
        state = os.path.join(tmp, "state.json")
        done = subprocess.run(
            [binary, "profile", "-q", "-c", workflow,
             "--part", f"{index}/{parts}", "--state-out", state],
            capture_output=True, text=True, check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"dynameta part {index}/{parts} exited {done.returncode}:\n"
                f"{done.stdout}\n{done.stderr}")
        with open(state, encoding="utf-8") as f:
            return index, f.read()


def main() -> None:
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    workflow, parts = os.path.abspath(sys.argv[1]), int(sys.argv[2])
    binary = sys.argv[3] if len(sys.argv) == 4 else "dynameta"
    spark = SparkSession.builder.appName("dynameta-profile-parts").getOrCreate()
    try:
        states = (spark.sparkContext
                  .parallelize(range(1, parts + 1), parts)
                  .map(lambda i: run_part(binary, workflow, parts, i))
                  .collect())
    finally:
        spark.stop()
    with tempfile.TemporaryDirectory(prefix="dynameta-merge-") as tmp:
        files = []
        for index, text in sorted(states):
            path = os.path.join(tmp, f"part-{index}.json")
            # The states hold values of the tables (top values, extremes): owner only.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            files.append(path)
        merged = subprocess.run([binary, "profile", "merge", "-c", workflow, *files], check=False)
    sys.exit(merged.returncode)


if __name__ == "__main__":
    main()
