"""``python -m bot triage``: classify a page's messages, one per line, with the trained model.

Results go to stdout (JSON lines or CSV, or counts per category with ``summary``); errors go to
stderr with an exit status a script can test (:class:`bot.exit_codes.ExitCode`).
"""

from __future__ import annotations

import csv
import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from bot.exit_codes import ExitCode
from bot.nlu.triage import NoModelError, Triage, Triager, latest_model, summarise
from bot.settings import get_settings

logger = logging.getLogger(__name__)

FORMATS = ("json", "csv")


def _lines(stream: TextIO) -> Iterator[str]:
    for line in stream:
        yield line.rstrip("\r\n")


def write_rows(results: Iterator[Triage], fmt: str, out: TextIO) -> None:
    """One row per message, written (and flushed) as soon as it is classified."""
    writer = None
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["text", "intent", "confidence", "category", "entities"])
    for result in results:
        if writer is not None:
            entities = ";".join(f"{e['entity']}={e['value']}" for e in result.entities)
            writer.writerow(
                [result.text, result.intent or "", result.confidence, result.category, entities]
            )
        else:
            out.write(json.dumps(result.as_dict(), ensure_ascii=False) + "\n")
        out.flush()


def write_summary(results: Iterator[Triage], fmt: str, out: TextIO) -> None:
    """Counts per category and the total."""
    summary = summarise(results)
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["category", "count"])
        for category, count in summary["categories"].items():
            writer.writerow([category, count])
        writer.writerow(["total", summary["total"]])
    else:
        out.write(json.dumps(summary, ensure_ascii=False) + "\n")


def triage(
    file: str | None, fmt: str = "json", summary: bool = False, model: str | None = None
) -> ExitCode:
    """Classify every line of ``file`` (stdin when None or "-") with ``model`` (default: latest).

    Args:
        file: Input path, one message per line.
        fmt: ``json`` (one object per line) or ``csv``.
        summary: Print counts per category instead of one row per message.
        model: A model archive; the latest in ``models/`` by default.
    """
    if file in (None, "-"):
        source: TextIO = sys.stdin
    else:
        try:
            source = open(file, encoding="utf-8", errors="replace")  # noqa: SIM115
        except OSError as exc:
            print(f"Cannot read {file}: {exc.strerror}", file=sys.stderr)
            return ExitCode.USAGE
    with source:
        models_dir = get_settings().models_dir
        path = Path(model) if model else latest_model(models_dir)
        if path is None:
            print(f"No trained model in {models_dir}. Run `make train` first.", file=sys.stderr)
            return ExitCode.NO_MODEL
        try:
            triager = Triager(path)
        except NoModelError as exc:
            print(f"{exc}. Run `make train` first.", file=sys.stderr)
            return ExitCode.NO_MODEL
        logger.info("Loaded model %s", path)
        results = triager.classify_all(_lines(source))
        if summary:
            write_summary(results, fmt, sys.stdout)
        else:
            write_rows(results, fmt, sys.stdout)
    return ExitCode.OK
