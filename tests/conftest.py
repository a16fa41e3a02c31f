"""Shared fixtures: trackers built from a JSON fixture, and action runners."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

FIXTURES = Path(__file__).parent / "fixtures"
_BASE = json.loads((FIXTURES / "tracker_base.json").read_text(encoding="utf-8"))


def user_event(text: str, intent: str, confidence: float = 0.95, entities: list | None = None):
    return {
        "event": "user",
        "text": text,
        "parse_data": {
            "text": text,
            "intent": {"name": intent, "confidence": confidence},
            "entities": entities or [],
        },
    }


def make_tracker(
    text: str,
    intent: str,
    entities: dict[str, str] | list[tuple[str, str]] | None = None,
    slots: dict[str, Any] | None = None,
    history: list[dict[str, Any]] | None = None,
    confidence: float = 0.95,
) -> Tracker:
    """A tracker whose latest message is ``text`` understood as ``intent`` with ``entities``."""
    pairs = list(entities.items()) if isinstance(entities, dict) else list(entities or [])
    ents = [{"entity": name, "value": value} for name, value in pairs]
    state = copy.deepcopy(_BASE)
    state["slots"].update(slots or {})
    event = user_event(text, intent, confidence, ents)
    state["events"] += list(history or []) + [event]
    state["latest_message"] = event["parse_data"]
    return Tracker.from_dict(state)


TEST_PSEUDONYMISATION_KEY = "test-pseudonymisation-key-0123456789"


@pytest.fixture(autouse=True)
def test_ledger(tmp_path, monkeypatch):
    """Each test gets its own ledger (SQLite under tmp_path) and a test pseudonymisation key."""
    from actions.funnel import ledger

    monkeypatch.setenv("PSEUDONYMISATION_KEY", TEST_PSEUDONYMISATION_KEY)
    monkeypatch.setenv("CONVERSION_WEBHOOK_SECRET", "test-conversion-secret-0123456789")
    monkeypatch.setenv("LEDGER_URL", f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    monkeypatch.setenv("CAUSETTE_VAR_DIR", str(tmp_path / "var"))
    ledger.cache_clear()
    yield
    ledger.cache_clear()


async def run_action(action: Action, tracker: Tracker) -> tuple[list[dict], list[dict]]:
    """Run ``action``; return (messages sent, events returned)."""
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, {})
    return dispatcher.messages, events


def responses(messages: list[dict]) -> list[str]:
    """Keys of the texts an action sent (brands/copy or domain responses), in order."""
    return [m.get("copy") or m.get("response") for m in messages]


def slot_events(events: list[dict]) -> dict[str, Any]:
    """The slots an action set, last value wins."""
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
