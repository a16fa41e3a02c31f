"""The brand of a conversation: the slot, else what the channel says (a page is one brand)."""

from __future__ import annotations

from actions.context import brand_for
from actions.session import ActionSessionStart
from tests.conftest import make_tracker, run_action, slot_events


def second_brand(tmp_path, monkeypatch) -> None:
    demo = open("brands/demo.yml", encoding="utf-8").read()
    (tmp_path / "demo.yml").write_text(demo, encoding="utf-8")
    nord = demo.replace("slug: demo", "slug: nord").replace(
        "name: Maison Brume", "name: Nord Laine"
    )
    (tmp_path / "nord.yml").write_text(nord, encoding="utf-8")
    monkeypatch.setenv("CAUSETTE_BRANDS_DIR", str(tmp_path))


async def test_session_start_takes_the_brand_of_the_page(tmp_path, monkeypatch):
    second_brand(tmp_path, monkeypatch)
    tracker = make_tracker(
        "bonjour", "greet", slots={"brand": None, "session_started_metadata": {"brand": "nord"}}
    )
    _, events = await run_action(ActionSessionStart(), tracker)
    assert slot_events(events)["brand"] == "nord"
    assert slot_events(events)["brand_name"] == "Nord Laine"


def test_slot_wins_then_metadata_then_default(tmp_path, monkeypatch):
    second_brand(tmp_path, monkeypatch)
    assert brand_for(make_tracker("x", "greet", slots={"brand": "demo"})).slug == "demo"
    assert brand_for(make_tracker("x", "greet", slots={"brand": None})).slug == "demo"
    tracker = make_tracker("x", "greet", slots={"brand": None})
    tracker.latest_message["metadata"] = {"brand": "nord"}
    assert brand_for(tracker).slug == "nord"
    unknown = make_tracker(
        "x", "greet", slots={"brand": None, "session_started_metadata": {"brand": "../etc"}}
    )
    assert brand_for(unknown).slug == "demo"
