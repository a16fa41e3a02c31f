"""`python -m bot triage`: the trained model sorts fixed messages into the right categories."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.nlu.triage import latest_model
from bot.settings import get_settings

ROOT = Path(__file__).parents[1]
MESSAGES = {
    "Je veux acheter votre sweat à capuche en M": "purchase",
    "c combien la parka ?": "purchase",
    "vous livrez en Belgique ?": "purchase",
    "ma commande n'est toujours pas arrivée": "support",
    "le jean reçu est déchiré, je veux être remboursé": "support",
    "je veux parler à un humain": "human",
    "merci beaucoup !": "smalltalk",
    "xkcd wololo": "other",  # no known word: the UnknownWordsGuard makes it nlu_fallback
}

needs_model = pytest.mark.skipif(
    latest_model(get_settings().models_dir) is None and not os.environ.get("CI"),
    reason="no trained model (run make train)",
)


def run_triage(*args: str, stdin: str = "", env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", "triage", *args],
        check=False,
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        timeout=300,
    )


@pytest.fixture(scope="module")
def triaged() -> tuple[subprocess.CompletedProcess, list[dict]]:
    lines = list(MESSAGES) + ["", "🤷‍♀️", "x" * 5000]
    proc = run_triage(stdin="\n".join(lines) + "\n")
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    return proc, rows


@needs_model
def test_one_json_object_per_input_line(triaged):
    proc, rows = triaged
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert len(rows) == len(MESSAGES) + 3
    for row in rows:
        assert set(row) == {"text", "intent", "confidence", "category", "entities"}
    assert rows[len(MESSAGES)] == {
        "text": "", "intent": None, "confidence": 0.0, "category": "other", "entities": []
    }  # fmt: skip


@needs_model
def test_fixed_messages_land_in_their_category(triaged):
    _, rows = triaged
    got = {row["text"]: row["category"] for row in rows[: len(MESSAGES)]}
    assert got == MESSAGES


@needs_model
def test_entities_are_reported(triaged):
    _, rows = triaged
    first = rows[0]["entities"]
    assert {"entity": "product", "value": "sweat_brume"} in first
    assert {"entity": "size", "value": "M"} in first


@needs_model
def test_csv_and_summary(tmp_path):
    source = tmp_path / "export.txt"
    source.write_text("\n".join(MESSAGES) + "\n", encoding="utf-8")
    proc = run_triage(str(source), "--format", "csv")
    assert proc.returncode == 0, proc.stderr[-2000:]
    table = list(csv.DictReader(io.StringIO(proc.stdout)))
    assert [r["category"] for r in table] == list(MESSAGES.values())

    proc = run_triage(str(source), "--summary")
    summary = json.loads(proc.stdout)
    assert summary["total"] == len(MESSAGES)
    assert summary["categories"]["purchase"] == 3
    assert summary["categories"]["support"] == 2


def test_without_a_model_it_says_so_and_fails(tmp_path):
    proc = run_triage(stdin="bonjour\n", env={"CAUSETTE_MODELS_DIR": str(tmp_path)})
    assert proc.returncode == 3
    assert proc.stdout == ""
    assert "No trained model" in proc.stderr


def test_unreadable_file_is_a_clear_error(tmp_path):
    proc = run_triage(str(tmp_path / "missing.txt"))
    assert proc.returncode != 0
    assert "missing.txt" in proc.stderr
