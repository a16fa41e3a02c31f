"""The lead form, for a brand without an online shop: asks, validates, records once."""

from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import ActionHandleYesNo
from actions.funnel import ledger
from actions.lead import ActionAskLeadName, ActionLeadCancelled, ActionSubmitLead, ValidateLeadForm
from bot.sales.ledger import EVENTS
from tests.conftest import make_tracker, responses, run_action, slot_events

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def brand_without_shop(tmp_path, monkeypatch):
    data = yaml.safe_load((ROOT / "brands" / "demo.yml").read_text(encoding="utf-8"))
    data.pop("shop_url")
    brands = tmp_path / "brands"
    brands.mkdir()
    (brands / "demo.yml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("CAUSETTE_BRANDS_DIR", str(brands))


async def test_yes_to_buying_without_a_shop_starts_the_lead_form():
    tracker = make_tracker(
        "oui", "affirm", slots={"pending_question": "buy_product", "product": "parka_boreale"}
    )
    messages, events = await run_action(ActionHandleYesNo(), tracker)
    assert messages == []  # the form asks the first question
    assert [e["name"] for e in events if e["event"] == "followup"] == ["lead_form"]
    assert slot_events(events)["product"] == "parka_boreale"


async def test_first_question_names_the_product():
    tracker = make_tracker("oui", "affirm", slots={"product": "parka_boreale"})
    messages, _ = await run_action(ActionAskLeadName(), tracker)
    assert responses(messages) == ["utter_ask_lead_name"]
    assert "Parka Boréale" in messages[0]["text"]


async def validate(slot: str, text: str, intent: str = "inform", entities=None):
    tracker = make_tracker(text, intent, entities=entities)
    dispatcher = CollectingDispatcher()
    method = getattr(ValidateLeadForm(), f"validate_{slot}")
    result = await method(text, dispatcher, tracker, {})
    return result[slot], responses(dispatcher.messages)


async def test_bad_contact_is_asked_again_politely():
    value, said = await validate("lead_contact", "mon mail c julie arobase gmail")
    assert value is None and said == ["utter_lead_contact_invalid"]
    value, said = await validate("lead_contact", "julie.martin@gmail.com")
    assert value == "julie.martin@gmail.com" and said == []
    value, _ = await validate("lead_contact", "+32 470 12 34 56")
    assert value == "+32470123456"


async def test_name_quantity_and_city():
    assert await validate("lead_name", "Julie Martin") == ("Julie Martin", [])
    assert (await validate("lead_name", "https://spam.example"))[0] is None
    assert await validate("lead_quantity", "trois svp") == (3, [])
    assert (await validate("lead_quantity", "beaucoup"))[1] == ["utter_lead_quantity_invalid"]
    assert await validate("lead_city", "Genève", entities={"city": "Genève"}) == ("Genève", [])


async def test_submitted_lead_is_recorded_once_and_slots_cleared():
    slots = {
        "product": "parka_boreale",
        "lead_name": "Julie Martin",
        "lead_contact": "julie.martin@gmail.com",
        "lead_quantity": 2,
        "lead_city": "Lyon",
    }
    tracker = make_tracker("Lyon", "inform", slots=slots)
    messages, events = await run_action(ActionSubmitLead(), tracker)
    await run_action(ActionSubmitLead(), tracker)  # replayed: still one lead
    assert responses(messages) == ["utter_lead_thanks"]
    assert "Julie Martin" in messages[0]["text"]
    assert all(value is None for value in slot_events(events).values())
    with ledger().engine.connect() as connection:
        rows = connection.execute(
            sa.select(EVENTS.c.amount_cents, EVENTS.c.product).where(
                EVENTS.c.kind == "lead_captured"
            )
        ).all()
    assert rows == [(37800, "parka_boreale")]


async def test_cancelled_form_keeps_nothing():
    tracker = make_tracker("non laisse tomber", "deny", slots={"lead_name": "Julie"})
    messages, events = await run_action(ActionLeadCancelled(), tracker)
    assert responses(messages) == ["utter_lead_cancelled"]
    assert slot_events(events)["lead_name"] is None
