"""Channel state and escalations on a real PostgreSQL server (STATE_URL=postgresql://…).

Several workers share these tables: the inbox (stored once, taken by one worker, in order), one
active escalation per conversation and leased work must hold on PostgreSQL as on SQLite.
"""

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest

from bot.channels.inbox import Inbox, NewDelivery
from bot.channels.state import ChannelState
from bot.handoff.escalation_records import NewEscalation
from bot.handoff.escalations import Escalations
from tests.pg import postgres_server


@pytest.fixture(scope="module")
def pg_url():
    with postgres_server() as url:
        if url is None:
            pytest.skip("no PostgreSQL server binaries here")
        yield url


def new(escalation_id: str, conversation: str) -> NewEscalation:
    return NewEscalation(
        id=escalation_id,
        conversation_id=conversation,
        brand="demo",
        channel="messenger",
        customer="c_1",
        reason="requested",
        slack_channel="C0BRUMELYON",
        usergroup=None,
        card={"escalation_id": escalation_id},
        remind_at=None,
    )


def test_deliveries_stored_once_and_taken_by_one_worker(pg_url):
    one, two = Inbox(ChannelState(pg_url)), Inbox(ChannelState(pg_url))
    delivery = NewDelivery("messenger", "m_pg_1", "messenger:1:pg", {"text": "salut"})
    [row] = one.store([delivery])
    assert two.store([delivery]) == []
    later = two.store([NewDelivery("messenger", "m_pg_2", "messenger:1:pg", {})])[0]
    with ThreadPoolExecutor(8) as pool:
        taken = list(pool.map(lambda i: (one, two)[i % 2].claim(row.id, f"w{i}"), range(8)))
    assert len([t for t in taken if t is not None]) == 1
    assert two.claim(later.id, "w9") is None  # behind m_pg_1
    one.done(row.id)
    assert two.claim(later.id, "w9").delivery_id == "m_pg_2"


def test_last_messages(pg_url):
    state, other_worker = ChannelState(pg_url), ChannelState(pg_url)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    state.note_customer_message("messenger", "c_pg", now)
    other_worker.note_customer_message("messenger", "c_pg", now - timedelta(hours=3))
    assert state.last_customer_message("messenger", "c_pg") == now


def test_one_escalation_per_conversation_and_work_leased_once(pg_url):
    one, two = Escalations(pg_url), Escalations(pg_url)
    first, created = one.open(new("esc_pg_1", "messenger:1:pg"))
    again, created_again = two.open(new("esc_pg_2", "messenger:1:pg"))
    assert created and not created_again and again.id == first.id
    leased_by_one = {e.id for e in one.lease_unposted()}
    leased_by_two = {e.id for e in two.lease_unposted()}
    assert "esc_pg_1" in leased_by_one and "esc_pg_1" not in leased_by_two
    one.posted("esc_pg_1", "1700000000.000100")
    assert two.by_thread("C0BRUMELYON", "1700000000.000100").id == "esc_pg_1"
    assert one.resolve("esc_pg_1", "U1") and not two.resolve("esc_pg_1", "U2")
