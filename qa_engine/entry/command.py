"""The ``qa-engine`` executable.

A command that only reads the views (``oversight``) runs from a module that imports
what that query needs and no more (issue 12: a command under half a second); every
other command goes through the full parser of ``entry.cli``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

__all__ = ["main"]


def run(argv: Sequence[str]) -> int:
    if list(argv[:1]) == ["oversight"]:
        from qa_engine.entry import cli_oversight

        return cli_oversight.run(argv)
    from qa_engine.entry import cli

    return cli.run(argv)


def main() -> None:
    """Entry point. Ends with ``os._exit``: temporalio's runtime can crash at
    interpreter exit (sdk-python#300), which would turn a success into exit 134."""
    code = run(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
