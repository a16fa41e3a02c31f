"""Ledger writes the database could not take, kept on disk until it can.

One JSON line per write in ``spool-<pid>.jsonl`` under the spool folder, fsynced before the
customer's turn goes on. A replay renames a file before reading it (an atomic claim), so several
processes never replay the same writes; what still cannot be written goes back to the file.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

Entry = dict[str, Any]


class Spool:
    """The spool folder of one ledger. Thread-safe; safe with several processes."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()

    def append(self, entry: Entry, error: Exception) -> None:
        """Keep ``entry`` for later and log, loudly, why it could not be written now."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"spool-{os.getpid()}.jsonl"
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        with self._lock, open(path, "a", encoding="utf-8") as spool:
            spool.write(line)
            spool.flush()
            os.fsync(spool.fileno())
        logger.error(
            "LEDGER UNAVAILABLE, write spooled to %s and replayed when the database is back: %s",
            path,
            error,
        )

    def pending(self) -> int:
        """Writes waiting for the database."""
        if not self.folder.is_dir():
            return 0
        return sum(
            1
            for path in self.folder.glob("spool-*.jsonl")
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()
        )

    def replay(self, write: Callable[[Entry], bool]) -> int:
        """Hand every kept entry to ``write`` in order; how many it took.

        ``write`` returns False when the database is still unavailable: that entry and the rest
        of its file are kept for the next replay.
        """
        if not self.folder.is_dir():
            return 0
        replayed = 0
        for path in sorted(self.folder.glob("spool-*.jsonl")):
            claimed = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.replaying")
            try:
                path.rename(claimed)  # atomic: one process replays a given file
            except OSError:
                continue
            lines = [line for line in claimed.read_text(encoding="utf-8").splitlines() if line]
            for index, line in enumerate(lines):
                if not write(json.loads(line)):
                    rest = "".join(f"{item}\n" for item in lines[index:])
                    with self._lock, open(path, "a", encoding="utf-8") as spool:
                        spool.write(rest)
                    claimed.unlink()
                    return replayed
                replayed += 1
            claimed.unlink()
        if replayed:
            logger.warning("ledger back: %s spooled writes replayed", replayed)
        return replayed
