"""Support, handoff, yes/no and bare-information actions."""

import pytest

from actions.conversation import ActionHandleInform, ActionHandleYesNo
from actions.handoff import ActionEscalate, ActionLowConfidence
from actions.session import ActionSessionStart
from actions.support import SUPPORT_INTENTS, ActionSupportRequest
from bot.brand.brand_file import load_brand
from tests.conftest import make_tracker, responses, run_action, slot_events, user_event


@pytest.mark.parametrize("intent", sorted(SUPPORT_INTENTS))
async def test_every_support_intent_is_acknowledged_with_its_policy(intent):
    messages, _ = await run_action(ActionSupportRequest(), make_tracker("...", intent))
    names = responses(messages)
    assert names[:2] == [f"utter_support_ack_{intent}", "utter_policy"]
    assert messages[1]["text"] == load_brand("demo").policies[intent]


async def test_support_asks_for_the_order_number():
    tracker = make_tracker("mon colis est pas arrivé", "delivery_problem")
    messages, events = await run_action(ActionSupportRequest(), tracker)
    assert responses(messages)[-1] == "utter_ask_order_number"
    assert slot_events(events)["requested"] == "order_number"


async def test_support_uses_the_order_number_given():
    tracker = make_tracker(
        "colis mb 204815 perdu", "delivery_problem", {"order_number": "mb 204815"}
    )
    messages, events = await run_action(ActionSupportRequest(), tracker)
    assert responses(messages)[-1] == "utter_order_number_noted"
    assert slot_events(events)["order_number"] == "MB-204815"


async def test_account_problem_does_not_ask_for_an_order():
    messages, _ = await run_action(ActionSupportRequest(), make_tracker("mdp", "account_problem"))
    assert "utter_ask_order_number" not in responses(messages)


async def test_bare_number_after_we_asked_for_it():
    tracker = make_tracker("204815", "inform", slots={"requested": "order_number"})
    messages, events = await run_action(ActionHandleInform(), tracker)
    assert responses(messages) == ["utter_order_number_noted"]
    assert slot_events(events)["order_number"] == "MB-204815"


async def test_inform_city_answers_delivery():
    tracker = make_tracker("j'habite à Namur", "inform", {"city": "Namur"})
    messages, _ = await run_action(ActionHandleInform(), tracker)
    assert responses(messages)[0] == "utter_delivery_quote"


async def test_inform_product_makes_the_offer():
    tracker = make_tracker("l'écharpe", "inform", slots={"requested": "product"})
    messages, events = await run_action(ActionHandleInform(), tracker)
    assert responses(messages) == ["utter_product_offer", "utter_ask_buy"]
    assert slot_events(events)["product"] == "echarpe_douce"


async def test_yes_to_buying_gives_a_checkout_link_with_a_stored_ref():
    from urllib.parse import parse_qs, urlparse

    from actions.funnel import ledger
    from bot.keys import pseudonym

    tracker = make_tracker(
        "oui", "affirm", slots={"pending_question": "buy_product", "product": "parka_boreale"}
    )
    messages, events = await run_action(ActionHandleYesNo(), tracker)
    assert responses(messages) == ["utter_checkout_link"]
    url = next(w for w in messages[0]["text"].split() if w.startswith("https://"))
    assert url.startswith("https://boutique.maison-brume.example/produits/parka_boreale?ref=")
    ref = parse_qs(urlparse(url).query)["ref"][0]
    assert len(ref) >= 22  # ≥ 128 bits, URL-safe base64
    offer = ledger().offer(ref)
    assert offer.product == "parka_boreale"
    assert offer.brand == "demo"
    assert offer.amount_cents == 18900
    assert offer.customer == pseudonym(tracker.sender_id)
    assert offer.customer != tracker.sender_id
    assert ledger().has_event(f"offer:{ref}")
    assert slot_events(events)["pending_question"] is None


async def test_two_offers_get_different_refs():
    tracker = make_tracker(
        "oui", "affirm", slots={"pending_question": "buy_product", "product": "jean_gaston"}
    )
    first, _ = await run_action(ActionHandleYesNo(), tracker)
    second, _ = await run_action(ActionHandleYesNo(), tracker)
    assert first[0]["text"] != second[0]["text"]


async def test_no_to_the_offer_of_a_person():
    tracker = make_tracker("non", "deny", slots={"pending_question": "offer_human"})
    messages, _ = await run_action(ActionHandleYesNo(), tracker)
    assert responses(messages) == ["utter_rephrase_then"]


async def test_escalation_for_a_complaint_apologises_first():
    messages, events = await run_action(ActionEscalate(), make_tracker("nul", "complaint"))
    assert responses(messages)[0] == "utter_complaint_sorry"
    assert responses(messages)[1] in ("utter_handoff", "utter_handoff_closed")
    assert slot_events(events)["pending_question"] is None


async def test_low_confidence_first_asks_to_rephrase_then_hands_over():
    first = make_tracker("gnagna", "nlu_fallback", confidence=0.2)
    messages, _ = await run_action(ActionLowConfidence(), first)
    assert responses(messages) == ["utter_ask_rephrase"]

    second = make_tracker(
        "blurp",
        "nlu_fallback",
        confidence=0.2,
        history=[user_event("gnagna", "nlu_fallback", 0.2)],
    )
    messages, events = await run_action(ActionLowConfidence(), second)
    assert responses(messages)[-1] in ("utter_handoff", "utter_handoff_closed")
    assert slot_events(events)["pending_question"] is None


async def test_blank_message_gets_a_polite_answer():
    messages, _ = await run_action(
        ActionLowConfidence(), make_tracker("   ", "nlu_fallback", confidence=0)
    )
    assert responses(messages) == ["utter_empty_message"]


async def test_session_start_discloses_the_bot_and_keeps_known_slots():
    tracker = make_tracker("bjr", "greet", slots={"city": "Lyon", "brand": None})
    messages, events = await run_action(ActionSessionStart(), tracker)
    assert responses(messages) == ["utter_disclosure"]
    assert "Maison Brume" in messages[0]["text"]
    assert events[0]["event"] == "session_started"
    assert (events[-1]["event"], events[-1]["name"]) == ("action", "action_listen")
    slots = slot_events(events)
    assert slots["city"] == "Lyon" and slots["brand"] == "demo"


async def test_escalation_is_recorded_once_with_its_reason():
    import sqlalchemy as sa

    from actions.funnel import ledger
    from actions.handoff import ActionEscalate
    from bot.sales.ledger import EVENTS

    tracker = make_tracker("je suis déçu, 3 semaines sans réponse", "complaint")
    await run_action(ActionEscalate(), tracker)
    await run_action(ActionEscalate(), tracker)  # replayed action: still one escalation
    with ledger().engine.connect() as connection:
        rows = connection.execute(
            sa.select(EVENTS.c.category, EVENTS.c.details).where(EVENTS.c.kind == "escalated")
        ).all()
    assert len(rows) == 1
    assert rows[0].category == "support" and '"complaint"' in rows[0].details
