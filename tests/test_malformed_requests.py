"""Malformed bodies at every door: a 4xx with a reason, never an exception (a 500), nothing stored.

The same table runs against the real server in tests/e2e/test_robustness.py.
"""

from __future__ import annotations

import logging
import time

import pytest

from bot.channels.inbox import Inbox
from bot.channels.state import ChannelState
from bot.sales.ledger import Ledger
from connectors import conversions as conversion_webhook
from connectors.messenger import MessengerInput
from connectors.messenger_config import MessengerConfig
from connectors.slack_handoff import SlackHandoffInput
from connectors.telegram import TelegramInput
from tests import malformed_payloads as bad
from tests import messenger_payloads as fb

APP_SECRET = "fb-app-secret-0123456789abcdef"
TELEGRAM_TOKEN = "7000000001:AAUnitTestTokenForCausette0123456789"
TELEGRAM_SECRET = "unit_telegram-secret_0123456789"
SLACK_SECRET = "unit-slack-signing-secret-0123456789"
CONVERSION_SECRET = b"test-conversion-secret-0123456789"

CASES = [
    *bad.messenger(APP_SECRET.encode()),
    *bad.telegram(TELEGRAM_SECRET),
    *bad.slack(SLACK_SECRET),
    *bad.conversions(CONVERSION_SECRET),
]


@pytest.fixture
def doors(tmp_path, monkeypatch):
    monkeypatch.setenv("TELEGRAM_API_URL", "http://127.0.0.1:9")
    state = ChannelState(f"sqlite:///{tmp_path / 'state.sqlite3'}")
    messenger = MessengerInput(
        MessengerConfig.from_values(
            fb.PAGE_ID, "token-0123456789", APP_SECRET, "verify-0123456789"
        ),
        state,
    )
    telegram = TelegramInput.from_credentials(
        {"bot_token": TELEGRAM_TOKEN, "secret_token": TELEGRAM_SECRET}
    )
    slack = SlackHandoffInput("xoxb-unit-0000000001", SLACK_SECRET, "http://127.0.0.1:9/")
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}", tmp_path / "spool")

    async def knock(case: bad.Case) -> tuple[int, str]:
        if case.path.startswith("messenger"):
            status, text, _ = messenger.accept(case.headers, case.body)
        elif case.path.startswith("telegram"):
            status, text, _ = telegram.accept(case.headers, case.body)
        elif case.path.endswith("events"):
            status, text = await slack.receive_event(case.headers, case.body)
        elif case.path.endswith("interactive"):
            status, text = await slack.receive_interaction(case.headers, case.body)
        else:
            answer = conversion_webhook.handle(
                ledger, CONVERSION_SECRET, case.headers, case.body, time.time()
            )
            status, text = answer.status, str(answer.body)
        return status, str(text)

    knock.inboxes = [Inbox(state), slack.inbox]  # type: ignore[attr-defined]
    return knock


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_a_malformed_request_gets_its_4xx_and_nothing_is_stored(doors, case, caplog):
    with caplog.at_level(logging.WARNING):
        status, reason = await doors(case)
    assert status == case.status, reason
    assert all(inbox.counts() == {} for inbox in doors.inboxes)
    if status == 400:
        assert "refused" in caplog.text
    assert "bonjour" not in caplog.text and "salut" not in caplog.text  # no customer text


def test_the_reason_names_the_place_not_the_value():
    [case] = [c for c in CASES if c.name == "messenger: text is an object"]
    config = MessengerConfig.from_values(
        fb.PAGE_ID, "token-0123456789", APP_SECRET, "verify-0123456789"
    )
    status, reason, _ = MessengerInput(config, ChannelState("sqlite://")).accept(
        case.headers, case.body
    )
    assert (status, reason) == (
        400,
        "Messenger delivery: entry.0.messaging.0.message.text: type string",
    )


async def test_headers_with_odd_characters_are_refused_not_errors(doors):
    """A signature or timestamp header with non-ASCII characters (which a proxy may pass on)."""
    body = b"{}"
    odd = [
        bad.Case(
            "messenger",
            "messenger/webhook",
            body,
            bad.fixed({"X-Hub-Signature-256": "sha256=é"}),
            403,
        ),
        bad.Case(
            "conversions",
            "conversions/webhook",
            body,
            bad.fixed(
                {"X-Conversion-Timestamp": "١٧٠٠٠٠٠٠٠٠", "X-Conversion-Signature": "sha256=x"}
            ),
            401,
        ),
        bad.Case(
            "slack",
            "slack_handoff/events",
            body,
            bad.fixed(
                {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=é"}
            ),
            401,
        ),
        bad.Case(
            "telegram",
            "telegram/webhook",
            body,
            bad.fixed({"X-Telegram-Bot-Api-Secret-Token": "sécret"}),
            403,
        ),
    ]
    assert [(await doors(case))[0] for case in odd] == [case.status for case in odd]
