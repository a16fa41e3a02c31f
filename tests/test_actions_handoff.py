"""Every handoff trigger stores one escalation (reason, local team) and pauses the bot."""

from __future__ import annotations

import pytest

from actions.handoff import ActionEscalate, ActionHandoffResume, ActionLowConfidence, escalations
from actions.purchase import ActionPurchaseIntent
from actions.session import ActionSessionStart
from actions.support import ActionSupportRequest
from tests.conftest import make_tracker, responses, run_action, user_event


@pytest.fixture(autouse=True)
def slack(monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-0000000001-causette")
    escalations.cache_clear()
    yield
    escalations.cache_clear()


def paused(events: list[dict]) -> bool:
    return any(e.get("event") == "pause" for e in events)


def stored(tracker) -> dict:
    found = escalations().active_for(tracker.sender_id)
    assert found is not None, "no escalation stored"
    return {"reason": found.reason, "channel": found.slack_channel, "card": found.card}


async def test_asking_for_a_person_from_lyon_goes_to_the_lyon_team():
    tracker = make_tracker(
        "je suis à Lyon, je veux parler à quelqu'un", "request_human", {"city": "Lyon"}
    )
    messages, events = await run_action(ActionEscalate(), tracker)
    assert paused(events)
    assert responses(messages)[-1] in ("utter_handoff", "utter_handoff_closed")
    found = stored(tracker)
    assert (found["reason"], found["channel"]) == ("requested", "C0BRUMELYON")
    assert found["card"]["transcript"][-1][1] == "je suis à Lyon, je veux parler à quelqu'un"


async def test_a_complaint_and_an_insult_have_their_own_reasons():
    complaint = make_tracker("je suis déçue, trois semaines de retard", "complaint")
    _, events = await run_action(ActionEscalate(), complaint)
    assert paused(events) and stored(complaint)["reason"] == "complaint"
    insult = make_tracker("bande d'escrocs, rendez moi mon argent", "complaint")
    insult.sender_id = "other-customer"
    _, events = await run_action(ActionEscalate(), insult)
    assert stored(insult)["reason"] == "negative"


async def test_a_damaged_item_is_a_support_case_for_a_person_with_its_order_number():
    tracker = make_tracker(
        "mon sweat est arrivé troué, commande MB-204815",
        "damaged_or_wrong_item",
        {"order_number": "MB-204815"},
    )
    messages, events = await run_action(ActionSupportRequest(), tracker)
    assert paused(events)
    assert "utter_policy" in responses(messages)  # the policy first, then the handoff
    found = stored(tracker)
    assert found["reason"] == "support_case"
    assert found["card"]["order_number"] == "MB-204815"


async def test_order_status_stays_with_the_bot():
    tracker = make_tracker("où en est ma commande ?", "order_status")
    _, events = await run_action(ActionSupportRequest(), tracker)
    assert not paused(events)
    assert escalations().active_for(tracker.sender_id) is None


async def test_second_misunderstanding_in_a_row_hands_over():
    tracker = make_tracker(
        "blurp", "nlu_fallback", confidence=0.2, history=[user_event("gnagna", "nlu_fallback", 0.2)]
    )
    _, events = await run_action(ActionLowConfidence(), tracker)
    assert paused(events) and stored(tracker)["reason"] == "low_confidence"


async def test_a_bulk_order_goes_to_sales_a_small_one_gets_the_offer():
    bulk = make_tracker(
        "je veux 50 sweats pour mon entreprise",
        "purchase_intent",
        [("product", "sweat"), ("quantity", "50")],
    )
    messages, events = await run_action(ActionPurchaseIntent(), bulk)
    assert paused(events) and "utter_handoff_large_order" in responses(messages)
    found = stored(bulk)
    assert (found["reason"], found["card"]["product"]) == ("large_order", "Sweat à capuche Brume")

    small = make_tracker(
        "je veux 2 sweats", "purchase_intent", [("product", "sweat"), ("quantity", "2")]
    )
    small.sender_id = "small-order"
    _, events = await run_action(ActionPurchaseIntent(), small)
    assert not paused(events)


async def test_without_slack_the_handoff_is_announced_but_the_bot_keeps_answering(monkeypatch):
    monkeypatch.delenv("SLACK_BOT_TOKEN")
    tracker = make_tracker("je veux parler à un humain", "request_human")
    messages, events = await run_action(ActionEscalate(), tracker)
    assert responses(messages)[-1] in ("utter_handoff", "utter_handoff_closed")
    assert not paused(events)


async def test_a_new_session_keeps_the_pause_and_the_bot_silent():
    tracker = make_tracker("re bonjour", "greet")
    tracker._paused = True  # as Rasa sends a paused conversation
    messages, events = await run_action(ActionSessionStart(), tracker)
    assert messages == []
    names = [e.get("event") for e in events]
    assert names.index("session_started") < names.index("pause")


async def test_resume_says_the_bot_is_back():
    messages, events = await run_action(ActionHandoffResume(), make_tracker("", "greet"))
    assert responses(messages) == ["utter_handoff_bot_back"]
    assert any(e.get("event") == "resume" for e in events)
    # The turn ends with a listen, so the rules recognise the customer's next message.
    assert (events[-1]["event"], events[-1]["name"]) == ("action", "action_listen")


async def test_the_card_names_the_customer_as_their_channel_shows_them():
    tracker = make_tracker("je veux parler à un humain", "request_human")
    tracker.latest_message["metadata"] = {"display_name": "Camille Dupont"}
    await run_action(ActionEscalate(), tracker)
    label = stored(tracker)["card"]["customer_label"]
    assert label.startswith("Camille Dupont (c_")


async def test_asking_again_while_a_thread_is_open_adds_to_that_thread():
    first = make_tracker("je veux parler à un humain", "request_human")
    await run_action(ActionEscalate(), first)
    again = make_tracker(
        "allo ? toujours personne", "request_human", history=[user_event("x", "greet")]
    )
    _, events = await run_action(ActionEscalate(), again)
    assert paused(events)
    active = escalations().active_for(first.sender_id)
    assert active is not None
    assert escalations().pending_outbox() == 1  # the new message, queued for the same thread
