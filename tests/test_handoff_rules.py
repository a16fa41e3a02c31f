"""When a person takes over, and what the customer is told about the team's hours."""

from datetime import datetime, timezone

from bot.brand.brand_file import load_brand
from bot.handoff.rules import (
    EscalationReason,
    low_confidence_streak,
    plan_handoff,
    reason_for_intent,
    should_hand_over,
)


def test_two_low_confidence_messages_in_a_row_offer_a_person():
    assert not should_hand_over(["greet", "nlu_fallback"])
    assert should_hand_over(["greet", "nlu_fallback", "nlu_fallback"])
    assert not should_hand_over(["nlu_fallback", "ask_price", "nlu_fallback"])
    assert low_confidence_streak([]) == 0


def test_reasons():
    assert reason_for_intent("complaint") is EscalationReason.COMPLAINT
    assert reason_for_intent("request_human") is EscalationReason.REQUESTED
    assert reason_for_intent("affirm") is EscalationReason.LOW_CONFIDENCE


def test_open_team_answers_now():
    plan = plan_handoff(
        load_brand("demo"),
        EscalationReason.REQUESTED,
        datetime(2026, 11, 30, 10, 0, tzinfo=timezone.utc),
    )
    assert plan.team_available and plan.reopens is None


def test_closed_team_says_when_it_is_back():
    # Saturday 28 November 2026, 20:00 in Paris: closed until Monday 9:00.
    plan = plan_handoff(
        load_brand("demo"),
        EscalationReason.REQUESTED,
        datetime(2026, 11, 28, 19, 0, tzinfo=timezone.utc),
    )
    assert not plan.team_available
    assert plan.reopens == "lundi 30 novembre à 9h00"
