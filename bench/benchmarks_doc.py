"""docs/benchmarks.md, where each benchmark owns the section between its two markers."""

from __future__ import annotations

import os
import platform
from datetime import datetime, timezone
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


def write_section(name: str, lines: list[str], heading: str = "") -> str:
    """Replace the section ``<!-- name:begin -->`` … ``<!-- name:end -->`` with ``lines``
    (appended, after ``heading`` if given, the first time); the section written."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    section = "\n".join([begin, *lines, end])
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n"
    if begin in text:
        text = text[: text.index(begin)] + section + text[text.index(end) + len(end) :]
    else:
        title = f"{heading}\n\n" if heading else ""
        text = text.rstrip("\n") + "\n\n" + title + section + "\n"
    DOC.write_text(text, encoding="utf-8")
    return section


def measured_by(target: str, note: str = "") -> str:
    """The first line of a section: when, on what machine, by which ``make`` target."""
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    return (
        f"Measured {stamp} on {os.cpu_count()} cores, {platform.machine()}, Python "
        f"{platform.python_version()} by `make {target}`{f' ({note})' if note else ''}."
    )
