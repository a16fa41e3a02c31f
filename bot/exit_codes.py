"""Exit statuses of ``python -m bot``: one meaning each, whatever the sub-command."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """What a sub-command's exit status tells a script."""

    OK = 0
    FAILED = 1  # an external service refused or could not be reached (Telegram)
    USAGE = 2  # bad arguments or unreadable input (argparse uses 2 too)
    NO_MODEL = 3  # no trained model: run `make train`
    BAD_CONFIG = 4  # a brand file, secret, token or URL is wrong
    LEDGER = 5  # the ledger database is unavailable
    PARTIAL = 6  # done, except for the lines listed on stderr
