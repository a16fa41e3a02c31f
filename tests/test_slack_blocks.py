"""Slack messages of a handoff: customer text stays text, buttons follow the status, the sale
modal reads what community managers type."""

import json

import pytest

from bot.handoff.sale_modal import SaleInputError, read_sale_submission, sale_modal
from bot.handoff.slack_blocks import (
    ACTION_CLAIM,
    ACTION_RESOLVE,
    ACTION_SALE,
    MAX_LINE_CHARS,
    MAX_SECTION_CHARS,
    EscalationCard,
    attachment_text,
    escalation_message,
    escape,
    mirror_text,
    reminder_text,
)
from bot.sales.money import AmountError

HOSTILE = "<!channel> <!here> <@U0BOSS> <https://evil.example|cliquez ici> & co"


def card(**overrides) -> EscalationCard:
    values = {
        "escalation_id": "esc-42",
        "brand_name": "Maison Brume",
        "customer_label": "Camille D.",
        "channel": "messenger",
        "reason": "complaint",
        "category": "support",
        "intent": "damaged_or_wrong_item",
        "order_number": "MB-1042",
        "product": "Parka Boréale",
        "city": "Lyon",
        "team_name": "Lyon",
        "transcript": (("client", "mon colis est abîmé"), ("bot", "Je suis désolé")),
    }
    values.update(overrides)
    return EscalationCard(**values)


def block(blocks: list[dict], kind: str) -> list[dict]:
    return [b for b in blocks if b["type"] == kind]


def buttons(blocks: list[dict]) -> dict[str, dict]:
    actions = block(blocks, "actions")
    return {e["action_id"]: e for a in actions for e in a["elements"]}


def all_text(text: str, blocks: list[dict]) -> str:
    return text + json.dumps(blocks, ensure_ascii=False)


def test_escape_follows_slack_rule():
    assert escape("a & b <c> &amp;") == "a &amp; b &lt;c&gt; &amp;amp;"


def test_customer_text_never_becomes_a_mention_or_link():
    hostile = card(
        customer_label=HOSTILE,
        order_number=HOSTILE,
        product=HOSTILE,
        city=HOSTILE,
        category=HOSTILE,
        transcript=(("client", HOSTILE), ("bot", "ok")),
    )
    text, blocks = escalation_message(hostile)
    rendered = all_text(text, blocks)
    for raw in ("<!channel>", "<!here>", "<@U0BOSS>", "<https://", "& co"):
        assert raw not in rendered
    assert "&lt;!channel&gt;" in rendered and "&lt;@U0BOSS&gt;" in rendered
    assert "link_names" not in rendered
    assert mirror_text(HOSTILE, HOSTILE).count("&lt;") == 8
    assert "<" not in mirror_text(HOSTILE, HOSTILE)


def test_fallback_text_names_the_reason_and_the_customer():
    text, _ = escalation_message(card(reason="negative", customer_label="Lou <3"))
    assert "message très négatif" in text and "Lou &lt;3" in text and "Messenger" in text


@pytest.mark.parametrize(
    ("channel", "shown"), [("messenger", "Messenger"), ("telegram", "Telegram"), ("web", "web")]
)
def test_channel_names(channel: str, shown: str):
    _, blocks = escalation_message(card(channel=channel))
    fields = block(blocks, "section")[0]["fields"]
    assert any(f["text"].endswith(f"\n{shown}") for f in fields)


def test_unknown_details_show_a_dash():
    _, blocks = escalation_message(
        card(order_number=None, product="", city=None, category=None, intent=None, team_name=None)
    )
    fields = block(blocks, "section")[0]["fields"]
    assert len(fields) == 8
    assert sum(f["text"].endswith("\n—") for f in fields) == 5


def test_open_escalation_offers_claim_resolve_and_sale():
    _, blocks = escalation_message(card())
    found = buttons(blocks)
    assert set(found) == {ACTION_CLAIM, ACTION_RESOLVE, ACTION_SALE}
    assert found[ACTION_CLAIM]["style"] == "primary"
    assert {b["value"] for b in found.values()} == {"esc-42"}


def test_claimed_escalation_offers_resolve_and_sale_and_names_who():
    _, blocks = escalation_message(card(), status="claimed", claimed_by="U0CAMILLE")
    assert set(buttons(blocks)) == {ACTION_RESOLVE, ACTION_SALE}
    assert "<@U0CAMILLE>" in json.dumps(block(blocks, "context"))


def test_resolved_escalation_has_no_buttons():
    text, blocks = escalation_message(
        card(), status="resolved", claimed_by="U0CAMILLE", resolved_by="W0LEA"
    )
    assert block(blocks, "actions") == []
    assert "<@W0LEA>" in json.dumps(block(blocks, "context"))
    assert "<@" not in text  # the fallback feeds notifications: no mention there


def test_only_valid_user_ids_become_mentions():
    text, blocks = escalation_message(card(), status="claimed", claimed_by="<!channel>")
    rendered = all_text(text, blocks)
    assert "<!channel>" not in rendered and "&lt;!channel&gt;" in rendered
    _, blocks = escalation_message(card(), status="claimed", claimed_by="u0lower")
    assert "<@u0lower>" not in json.dumps(blocks)


def test_unknown_status_is_refused():
    with pytest.raises(ValueError):
        escalation_message(card(), status="pending")


def test_thread_help_mentions_note_and_bot_commands():
    _, blocks = escalation_message(card())
    contexts = json.dumps(block(blocks, "context"), ensure_ascii=False)
    assert "note:" in contexts and "!bot" in contexts


def test_transcript_keeps_the_last_ten_messages_one_per_line():
    lines = tuple(("client" if i % 2 else "bot", f"message {i}\nsuite") for i in range(15))
    escalation = card(transcript=lines)
    assert len(escalation.transcript) == 10 and escalation.transcript[0][1].startswith("message 5")
    _, blocks = escalation_message(escalation)
    transcript = block(blocks, "section")[1]["text"]["text"]
    assert "message 4" not in transcript and "message 14 suite" in transcript
    assert "*Client* : message 5 suite" in transcript and "*Bot* : message 6 suite" in transcript


def test_lengths_stay_within_slack_limits():
    long = "<" * 5000
    escalation = card(
        customer_label=long, product=long, transcript=tuple(("client", long) for _ in range(10))
    )
    text, blocks = escalation_message(escalation)
    assert len(text) <= MAX_SECTION_CHARS
    assert len(block(blocks, "header")[0]["text"]["text"]) <= 150
    for section in block(blocks, "section"):
        if "text" in section:
            assert len(section["text"]["text"]) <= MAX_SECTION_CHARS
            for line in section["text"]["text"].splitlines():
                assert len(line) <= MAX_LINE_CHARS
                assert not line.endswith("&…") and not line.endswith("&lt…")
        for field in section.get("fields", []):
            assert len(field["text"]) <= 2000
    assert len(mirror_text("Camille", long)) <= MAX_SECTION_CHARS
    assert mirror_text("Camille", long).endswith("…")


def test_mirror_and_attachment_texts():
    assert mirror_text("Camille", "bonjour <b>").startswith("*Client*")
    assert "bonjour &lt;b&gt;" in mirror_text("Camille", "bonjour <b>")
    assert "*" not in mirror_text("*Cam*", "x").replace("*Client*", "")
    assert "photo" in attachment_text("image")
    assert "<" not in attachment_text("<!channel>") and "channel" not in attachment_text("<!x>")


def test_reminder_mentions_only_a_valid_user_group():
    assert reminder_text("S0LYON", 15).startswith("<!subteam^S0LYON> ")
    assert "15 min" in reminder_text("S0LYON", 15)
    for bad in (None, "", "C0LYON", "s0lyon", "S0LYON> <!channel"):
        assert "<" not in reminder_text(bad, 15)


def test_sale_modal_shape():
    view = sale_modal("esc-42", "eur")
    assert view["type"] == "modal" and view["callback_id"] == "handoff_sale"
    assert view["private_metadata"] == "esc-42"
    assert len(view["title"]["text"]) <= 24 and view["submit"] and view["close"]
    amount, order = view["blocks"]
    assert (amount["block_id"], amount["element"]["action_id"]) == ("amount", "value")
    assert amount["element"]["type"] == "plain_text_input" and not amount.get("optional")
    assert (order["block_id"], order["element"]["action_id"], order["optional"]) == (
        "order",
        "value",
        True,
    )
    assert "EUR" in amount["label"]["text"]
    with pytest.raises(AmountError):
        sale_modal("esc-42", "euros")


def submitted(amount: str | None, order: str | None = None, escalation: str = "esc-42") -> dict:
    """The ``view`` of a ``view_submission`` as Slack sends it back."""
    view = sale_modal(escalation, "EUR")
    view["state"] = {
        "values": {
            "amount": {"value": {"type": "plain_text_input", "value": amount}},
            "order": {"value": {"type": "plain_text_input", "value": order}},
        }
    }
    return view


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("189,90", 18990),
        ("189.90", 18990),
        ("189", 18900),
        (" 189,9 € ", 18990),
        ("1 234,50", 123450),
        ("1\u202f234,50", 123450),
        ("CHF 1'234.50", 123450),
        ("189.-", 18900),
        ("59 $ CA", 5900),
    ],
)
def test_sale_amounts_as_typed(typed: str, cents: int):
    assert read_sale_submission(submitted(typed)) == ("esc-42", cents, None)


def test_sale_with_order_number():
    assert read_sale_submission(submitted("45", "  #MB-1042 ")) == ("esc-42", 4500, "#MB-1042")


@pytest.mark.parametrize(
    ("amount", "order", "field"),
    [
        (None, None, "amount"),
        ("", None, "amount"),
        ("cent euros", None, "amount"),
        ("1.234,50", None, "amount"),
        ("12,345", None, "amount"),
        ("-20", None, "amount"),
        ("1e3", None, "amount"),
        ("NaN", None, "amount"),
        ("0", None, "amount"),
        ("0,00", None, "amount"),
        ("99999999999999", None, "amount"),
        ("45", "MB 1042", "order"),
        ("45", "<!channel>", "order"),
        ("45", "X" * 65, "order"),
    ],
)
def test_bad_sale_input_points_at_the_field(amount, order, field: str):
    with pytest.raises(SaleInputError) as error:
        read_sale_submission(submitted(amount, order))
    assert error.value.block_id == field
    response = error.value.slack_response()
    assert response["response_action"] == "errors"
    assert list(response["errors"]) == [field] and response["errors"][field]


def test_a_view_that_is_not_the_sale_modal_is_refused():
    view = submitted("45")
    view["callback_id"] = "other"
    with pytest.raises(ValueError):
        read_sale_submission(view)
    view = submitted("45")
    view["private_metadata"] = ""
    with pytest.raises(ValueError):
        read_sale_submission(view)


def test_escalation_id_is_required():
    with pytest.raises(ValueError):
        card(escalation_id="")
