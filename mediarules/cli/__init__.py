"""``mediarules`` on the command line.

Exit codes: 0 no error-severity violation, 1 at least one, 2 usage or configuration error
(unknown platform, bad rules file, missing path), always with a one-line message.

Only the argument parser is imported up front: ``--help`` and usage errors never load the
rules engine, Pillow or MediaInfo.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from collections.abc import Sequence

from mediarules.cli.parser import EXIT_OK, EXIT_USAGE, EXIT_VIOLATIONS, build_parser

__all__ = ["EXIT_OK", "EXIT_USAGE", "EXIT_VIOLATIONS", "build_parser", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (by default the process's own, which then ends).

    When it is the process's own command line, what is left is frozen (``gc.freeze``) before
    the process ends: the interpreter's last collections would otherwise walk every object
    the imports made, a tenth of a one-file check, to free memory the exit frees anyway.
    ``atexit`` handlers and the flushing of standard streams run as always.
    """
    args = build_parser().parse_args(argv)
    from mediarules.cli.commands import run  # the heavy part, after parsing

    try:
        return run(args)
    except BrokenPipeError:  # the reader went away (``| head``): stop quietly, like grep
        _silence_stdout()
        return EXIT_VIOLATIONS
    finally:
        if argv is None:
            gc.freeze()


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not fail again."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
