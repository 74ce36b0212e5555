"""dynameta: a DynamoDB metadata connector for OpenMetadata.

The engine is the ``dynameta`` binary shipped in this wheel (installed on the
environment's PATH); :func:`find_dynameta_bin` finds it. ``dynameta.openmetadata``
holds the OpenMetadata custom connector (it needs ``openmetadata-ingestion``, so it is
not imported here).
"""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig

__all__ = ["BinaryNotFound", "find_dynameta_bin"]

_EXE = "dynameta" + (".exe" if sys.platform == "win32" else "")


class BinaryNotFound(FileNotFoundError):
    """The ``dynameta`` binary is neither where this wheel installs it nor on PATH."""


def _candidates() -> list[str]:
    # Where pip/uv put a wheel's scripts: the environment's scripts folder, or the user
    # scheme's for `pip install --user`.
    dirs = [sysconfig.get_path("scripts")]
    user_scheme = {"nt": "nt_user", "posix": "posix_user"}.get(os.name)
    if sys.platform == "darwin" and "osx_framework_user" in sysconfig.get_scheme_names():
        user_scheme = "osx_framework_user"
    if user_scheme in sysconfig.get_scheme_names():
        dirs.append(sysconfig.get_path("scripts", scheme=user_scheme))
    # The folder of the running interpreter (a venv's bin/ even when not activated).
    dirs.append(os.path.dirname(sys.executable))
    return [os.path.join(d, _EXE) for d in dirs if d]


def find_dynameta_bin() -> str:
    """The path of the ``dynameta`` binary.

    ``DYNAMETA_BIN`` wins when set (tests point it at a debug build); then the scripts
    folder this package was installed with; then ``PATH``.
    """
    explicit = os.environ.get("DYNAMETA_BIN")
    if explicit:
        if os.path.isfile(explicit) and os.access(explicit, os.X_OK):
            return explicit
        raise BinaryNotFound(
            f"DYNAMETA_BIN={explicit!r} is not an executable file. "
            "Point it at a dynameta binary (e.g. target/release/dynameta) or unset it."
        )
    for path in _candidates():
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    found = shutil.which(_EXE)
    if found:
        return found
    raise BinaryNotFound(
        "the dynameta binary was not found next to this Python package nor on PATH. "
        "Install the dynameta wheel into this environment (pip install dynameta-*.whl), "
        "or set DYNAMETA_BIN to the binary's path."
    )
