"""``python -m dynameta ARGS``: runs the dynameta binary with ARGS."""

from __future__ import annotations

import os
import subprocess
import sys

from dynameta import BinaryNotFound, find_dynameta_bin


def main() -> int:
    try:
        binary = find_dynameta_bin()
    except BinaryNotFound as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if sys.platform == "win32":
        return subprocess.call([binary, *sys.argv[1:]])
    os.execv(binary, [binary, *sys.argv[1:]])  # replaces this process: never returns


if __name__ == "__main__":
    sys.exit(main())
