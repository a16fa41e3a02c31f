"""Funnel facts read off a conversation's events."""

from bot.sales.funnel import funnel_events
from bot.sales.ledger import EventKind


def user(text, intent, ts, mid):
    return {
        "event": "user",
        "text": text,
        "timestamp": ts,
        "message_id": mid,
        "input_channel": "telegram",
        "parse_data": {"intent": {"name": intent, "confidence": 0.9}},
    }


def bot(ts):
    return {"event": "bot", "text": "...", "timestamp": ts}


SESSION = [
    {"event": "action", "name": "action_session_start", "timestamp": 100.0},
    {"event": "session_started", "timestamp": 100.0},
    {"event": "action", "name": "action_listen", "timestamp": 100.0},
]


def kinds(events):
    return sorted(e.kind.value for e in events)


def test_first_message_starts_the_conversation_and_times_the_first_answer():
    found = funnel_events(
        "c_1", "demo", [*SESSION, user("cb le sweat", "ask_price", 101.0, "m1"), bot(102.5)]
    )
    assert kinds(found) == [
        "conversation_started",
        "first_response",
        "message_triaged",
        "purchase_intent",
    ]
    first = next(e for e in found if e.kind is EventKind.FIRST_RESPONSE)
    assert first.seconds == 1.5
    triaged = next(e for e in found if e.kind is EventKind.MESSAGE_TRIAGED)
    assert (triaged.category, triaged.intent, triaged.channel) == (
        "purchase",
        "ask_price",
        "telegram",
    )
    assert all(e.customer == "c_1" and e.brand == "demo" for e in found)


def test_later_messages_are_triaged_and_purchase_intent_keeps_one_key_per_session():
    history = [*SESSION, user("cb le sweat", "ask_price", 101.0, "m1"), bot(102.0)]
    first = funnel_events("c_1", "demo", history)
    later = funnel_events(
        "c_1", "demo", [*history, user("je le prends", "purchase_intent", 110.0, "m2"), bot(111.0)]
    )
    assert kinds(later) == ["message_triaged", "purchase_intent"]
    key = lambda evs: next(e.key for e in evs if e.kind is EventKind.PURCHASE_INTENT)  # noqa: E731
    assert key(first) == key(later)  # counted once per session


def test_a_new_session_is_a_new_conversation():
    history = [*SESSION, user("bonjour", "greet", 101.0, "m1"), bot(101.2)]
    new_session = [
        {"event": "action", "name": "action_session_start", "timestamp": 9000.0},
        {"event": "session_started", "timestamp": 9000.0},
        user("mon colis ?", "order_status", 9001.0, "m9"),
    ]
    found = funnel_events("c_1", "demo", [*history, *new_session])
    assert kinds(found) == ["conversation_started", "message_triaged", "support_request"]
    started = next(e for e in found if e.kind is EventKind.CONVERSATION_STARTED)
    assert started.key != funnel_events("c_1", "demo", history)[1].key


def test_no_user_message_no_fact():
    assert funnel_events("c_1", "demo", SESSION) == []
