"""The escalation dispatcher against a fake Slack: nothing lost, one thread, one reminder.

The real slack_sdk AsyncWebClient talks to a fake Slack Web API on loopback.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from bot.handoff.escalation_records import ESCALATIONS, OUTBOX, NewEscalation
from connectors.slack_handoff import SlackHandoffInput
from tests.fakes.slack_api import FakeSlackApi

TOKEN = "xoxb-test-0000000001-causette"
SECRET = "test-slack-signing-secret-0123456789"
LYON = "C0BRUMELYON"


@pytest.fixture
def slack():
    with FakeSlackApi(TOKEN) as fake:
        yield fake


@pytest.fixture
def channel(slack) -> SlackHandoffInput:
    return SlackHandoffInput(TOKEN, SECRET, slack.url, timeout_s=1)


def card(escalation_id: str) -> dict:
    return {
        "escalation_id": escalation_id,
        "brand_name": "Maison Brume",
        "customer_label": "c_0123",
        "channel": "messenger",
        "reason": "requested",
        "category": "human",
        "intent": "request_human",
        "order_number": None,
        "product": None,
        "city": "Lyon",
        "team_name": "Lyon",
        "transcript": [["client", "je veux parler à un humain <!channel>"]],
    }


def open_escalation(channel: SlackHandoffInput, escalation_id: str = "esc_1", **over) -> None:
    new = NewEscalation(
        id=escalation_id,
        conversation_id=f"messenger:1:{escalation_id}",
        brand="demo",
        channel="messenger",
        customer="c_0123",
        reason="requested",
        slack_channel=LYON,
        usergroup="S0BRUMELYON",
        card=card(escalation_id),
        remind_at=over.get("remind_at"),
    )
    channel.escalations.open(new)


def make_due(channel: SlackHandoffInput) -> None:
    """Skip the backoff wait (the test's clock, not the dispatcher's logic)."""
    past = datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(seconds=1)
    with channel.escalations.engine.begin() as connection:
        connection.execute(ESCALATIONS.update().values(post_next_at=past))
        connection.execute(OUTBOX.update().values(next_at=past))


async def test_slack_down_for_three_attempts_gives_exactly_one_thread(channel, slack):
    open_escalation(channel)
    slack.fail_next(3, 500)
    for _ in range(3):
        await channel.dispatcher.dispatch_once()
        make_due(channel)
    assert slack.messages(LYON) == []
    assert channel.escalations.get("esc_1").post_attempts == 3
    await channel.dispatcher.dispatch_once()
    await channel.dispatcher.dispatch_once()
    [post] = slack.messages(LYON)
    assert channel.escalations.get("esc_1").thread_ts == post["ts"]
    assert "&lt;!channel&gt;" in str(post["blocks"])


async def test_rate_limit_waits_as_long_as_slack_asks(channel, slack):
    open_escalation(channel)
    slack.fail_next(1, 429, retry_after=120)
    await channel.dispatcher.dispatch_once()
    row = channel.escalations.engine.connect().execute(sa.select(ESCALATIONS)).first()
    wait = row.post_next_at - datetime.now(timezone.utc).replace(tzinfo=None)
    assert wait > timedelta(seconds=100)
    await channel.dispatcher.dispatch_once()
    assert slack.messages(LYON) == []


async def test_a_timeout_after_slack_posted_does_not_make_a_second_thread(channel, slack):
    open_escalation(channel)
    slack.stall_next(1, 2.5)  # Slack posts, but answers after our 1 s timeout
    await channel.dispatcher.dispatch_once()
    assert channel.escalations.get("esc_1").thread_ts is None
    make_due(channel)
    await channel.dispatcher.dispatch_once()
    [post] = slack.messages(LYON)
    assert channel.escalations.get("esc_1").thread_ts == post["ts"]


async def test_thread_messages_wait_for_the_thread_and_keep_their_order(channel, slack):
    open_escalation(channel)
    channel.escalations.enqueue("esc_1", "mirror:1", "premier")
    channel.escalations.enqueue("esc_1", "mirror:1", "premier (rejoué)")  # same key: once
    channel.escalations.enqueue("esc_1", "mirror:2", "second")
    slack.fail_next(1, 503)
    await channel.dispatcher.dispatch_once()  # the post fails: nothing can go to a thread yet
    make_due(channel)
    await channel.dispatcher.dispatch_once()
    await channel.dispatcher.dispatch_once()
    thread = channel.escalations.get("esc_1").thread_ts
    assert [r["text"] for r in slack.replies(LYON, thread)] == ["premier", "second"]
    assert channel.escalations.pending_outbox() == 0


async def test_one_sla_reminder_for_an_unclaimed_escalation_only(channel, slack):
    past = datetime.now(timezone.utc) - timedelta(minutes=1)
    open_escalation(channel, "esc_1", remind_at=past)
    open_escalation(channel, "esc_2", remind_at=past)
    channel.escalations.claim("esc_2", "U_CM1")  # a person took it
    for _ in range(3):
        await channel.dispatcher.dispatch_once()
    first = channel.escalations.get("esc_1").thread_ts
    second = channel.escalations.get("esc_2").thread_ts
    reminders = [r["text"] for r in slack.replies(LYON, first)]
    assert len(reminders) == 1 and "<!subteam^S0BRUMELYON>" in reminders[0]
    assert slack.replies(LYON, second) == []


async def test_work_survives_a_restart(channel, slack):
    open_escalation(channel)
    slack.fail_next(1, 500)
    await channel.dispatcher.dispatch_once()
    restarted = SlackHandoffInput(TOKEN, SECRET, slack.url, timeout_s=1)  # same database
    make_due(restarted)
    await restarted.dispatcher.dispatch_once()
    assert len(slack.messages(LYON)) == 1


async def test_a_server_killed_while_posting_does_not_post_a_second_thread(channel, slack):
    """The post reached Slack, then the process died before it could record the thread."""
    open_escalation(channel)
    slack.stall_next(1, seconds=1.0)  # Slack posts at once but answers late
    posting = asyncio.get_running_loop().create_task(channel.dispatcher.dispatch_once())
    await asyncio.sleep(0.5)
    posting.cancel()  # the process dies while it waits for Slack's answer
    with contextlib.suppress(asyncio.CancelledError):
        await posting
    assert len(slack.messages(LYON)) == 1
    restarted = SlackHandoffInput(TOKEN, SECRET, slack.url, timeout_s=1)  # same database
    with restarted.escalations.engine.begin() as connection:  # the dead worker's lease ends
        connection.execute(ESCALATIONS.update().values(lease_until=None))
    await restarted.dispatcher.dispatch_once()
    assert len(slack.messages(LYON)) == 1
    assert restarted.escalations.get("esc_1").thread_ts == slack.messages(LYON)[0]["ts"]


def test_a_conversation_has_one_active_escalation(channel):
    open_escalation(channel, "esc_1")
    again = NewEscalation(
        id="esc_other",
        conversation_id="messenger:1:esc_1",
        brand="demo",
        channel="messenger",
        customer="c_0123",
        reason="complaint",
        slack_channel=LYON,
        usergroup=None,
        card=card("esc_other"),
        remind_at=None,
    )
    active, created = channel.escalations.open(again)
    assert (active.id, created) == ("esc_1", False)
    assert channel.escalations.resolve("esc_1", "U_CM1")
    assert not channel.escalations.resolve("esc_1", "U_CM2")  # only once
    active, created = channel.escalations.open(again)
    assert (active.id, created) == ("esc_other", True)


async def test_bot_messages_are_ignored_and_a_person_reply_is_relayed_or_reported(channel, slack):
    from tests import slack_payloads as sp

    open_escalation(channel)
    await channel.dispatcher.dispatch_once()
    thread = channel.escalations.get("esc_1").thread_ts
    # The conversation is on Messenger, which this test process has not configured: a person's
    # reply cannot be delivered, and the thread says so. A bot's message is not even tried.
    await channel.desk.on_event(sp.bot_message(LYON, thread, "Personne n'a pris cette demande"))
    await channel.desk.on_event(sp.bot_message(LYON, thread, "écho", legacy=True))
    await channel.dispatcher.dispatch_once()
    assert slack.replies(LYON, thread) == []
    await channel.desk.on_event(sp.thread_message(LYON, thread, "Bonjour !"))
    await channel.desk.on_event(sp.thread_message(LYON, thread, "note: rappeler demain"))
    await channel.dispatcher.dispatch_once()
    [warning] = [r["text"] for r in slack.replies(LYON, thread)]
    assert "non transmis" in warning


async def test_claim_then_a_sale_made_by_a_person_is_recorded_for_them(channel, slack):
    import sqlalchemy as sa

    from bot.handoff.sale_modal import AMOUNT_BLOCK_ID, INPUT_ACTION_ID, ORDER_BLOCK_ID
    from bot.sales.ledger import EVENTS, Ledger
    from bot.settings import get_settings
    from tests import slack_payloads as sp

    open_escalation(channel)
    await channel.dispatcher.dispatch_once()
    thread = channel.escalations.get("esc_1").thread_ts
    await channel.on_interaction(
        sp.block_action("handoff_claim", "esc_1", channel=LYON, message_ts=thread)
    )
    await channel.worker.drain()
    assert channel.escalations.get("esc_1").claimed_by == "U_CM1"
    assert "U_CM1" in str(slack.updates[-1]["blocks"])

    await channel.on_interaction(
        sp.block_action(
            "handoff_sale",
            "esc_1",
            channel=LYON,
            message_ts=thread,
            trigger_id="13345224609.738474920.8088930838d88f008e0",
        )
    )
    [view] = slack.views
    assert (view["callback_id"], view["private_metadata"]) == ("handoff_sale", "esc_1")
    bad = sp.view_submission(
        "handoff_sale", "esc_1", {AMOUNT_BLOCK_ID: {INPUT_ACTION_ID: "beaucoup"}}
    )
    answer = await channel.on_interaction(bad)
    assert answer["response_action"] == "errors" and AMOUNT_BLOCK_ID in answer["errors"]
    good = sp.view_submission(
        "handoff_sale",
        "esc_1",
        {
            AMOUNT_BLOCK_ID: {INPUT_ACTION_ID: "189,90"},
            ORDER_BLOCK_ID: {INPUT_ACTION_ID: "MB-2048"},
        },
    )
    assert await channel.on_interaction(good) is None
    assert await channel.on_interaction(good) is None  # submitted twice: counted once
    ledger = Ledger.from_env(get_settings().var_dir)
    with ledger.engine.connect() as connection:
        sales = connection.execute(
            sa.select(EVENTS.c.amount_cents, EVENTS.c.attribution).where(
                EVENTS.c.kind == "conversion"
            )
        ).all()
        claims = connection.execute(
            sa.select(EVENTS.c.attribution).where(EVENTS.c.kind == "handoff_claimed")
        ).all()
    assert [tuple(s) for s in sales] == [(18990, "human:U_CM1")]
    assert [tuple(c) for c in claims] == [("human:U_CM1",)]
