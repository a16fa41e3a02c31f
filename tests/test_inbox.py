"""The durable inbox: stored once, taken in order per conversation, retaken after a dead worker."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from bot.channels.inbox import (
    LEASE,
    MAX_ATTEMPTS,
    Inbox,
    NewDelivery,
    Stored,
)
from bot.channels.inbox_door import InboxDoor
from bot.channels.state import INBOX, MIGRATIONS, VERSIONS, ChannelState, StateUnavailable
from bot.storage import backoff, make_engine, migrate

T0 = datetime(2026, 11, 29, 10, 0, 0)


def new(delivery_id: str, conversation: str = "messenger:1:A", text: str = "bonjour"):
    return NewDelivery("messenger", delivery_id, conversation, {"text": text})


@pytest.fixture
def inbox(tmp_path) -> Inbox:
    return Inbox(ChannelState(f"sqlite:///{tmp_path / 'state.sqlite3'}"))


def test_a_delivery_is_stored_once_whatever_the_redeliveries(inbox):
    first = inbox.store([new("m_1"), new("m_2"), new("m_1")], now=T0)
    assert [s.conversation_id for s in first] == ["messenger:1:A", "messenger:1:A"]
    assert inbox.store([new("m_2"), new("m_3")], now=T0) == [
        Stored(3, "messenger:1:A", "messenger", "m_3")
    ]
    assert inbox.store([NewDelivery("telegram", "m_1", "telegram:9", {})], now=T0) != []
    assert inbox.counts() == {"pending": 4}


def test_one_conversation_is_taken_in_arrival_order(inbox):
    one, two = inbox.store([new("m_1"), new("m_2")], now=T0)
    other = inbox.store([new("m_9", "messenger:1:B")], now=T0)[0]
    assert inbox.claim(two.id, "w1", now=T0) is None  # waits behind m_1
    taken = inbox.claim(one.id, "w1", now=T0)
    assert (taken.delivery_id, taken.payload, taken.attempts, taken.retaken) == (
        "m_1",
        {"text": "bonjour"},
        1,
        False,
    )
    assert inbox.claim(other.id, "w2", now=T0) is not None  # another customer: in parallel
    assert inbox.claim(one.id, "w2", now=T0) is None  # leased to w1
    assert inbox.claim(two.id, "w2", now=T0) is None  # m_1 not done yet
    inbox.done(one.id, now=T0)
    assert inbox.claim(two.id, "w2", now=T0).delivery_id == "m_2"


def test_a_dead_workers_row_is_taken_again_when_its_lease_ends(inbox):
    [row] = inbox.store([new("m_1")], now=T0)
    inbox.claim(row.id, "dead", now=T0)
    inbox.note_sent(row.id, 2)
    assert inbox.claim(row.id, "alive", now=T0 + LEASE - timedelta(seconds=1)) is None
    again = inbox.claim(row.id, "alive", now=T0 + LEASE + timedelta(seconds=1))
    assert (again.attempts, again.retaken, again.sent) == (2, True, 2)


def test_a_living_worker_keeps_its_row_by_renewing(inbox):
    [row] = inbox.store([new("m_1")], now=T0)
    inbox.claim(row.id, "w1", now=T0)
    assert inbox.renew([row.id], "w1", now=T0 + LEASE / 2) == 1
    assert inbox.renew([row.id], "w2", now=T0 + LEASE / 2) == 0  # not its row
    assert inbox.claim(row.id, "w2", now=T0 + LEASE + timedelta(seconds=1)) is None
    assert inbox.claim(row.id, "w2", now=T0 + LEASE * 2) is not None


def test_failures_back_off_then_give_up_loudly(inbox, caplog):
    [row] = inbox.store([new("m_1")], now=T0)
    moment = T0
    for attempt in range(1, MAX_ATTEMPTS + 1):
        taken = inbox.claim(row.id, "w1", now=moment)
        assert taken.attempts == attempt
        inbox.retry_later(row.id, attempt, "KeyError('boom')")
        assert inbox.claim(row.id, "w1", now=datetime.utcnow()) is None  # waiting
        moment = datetime.utcnow() + backoff(attempt) + timedelta(seconds=1)
    with caplog.at_level(logging.ERROR):
        assert inbox.claim(row.id, "w1", now=moment) is None
    assert "INBOX GAVE UP on messenger delivery m_1 after 5 attempts" in caplog.text
    assert inbox.counts() == {"failed": 1}
    # A failed delivery no longer holds its conversation back.
    [later] = inbox.store([new("m_2")], now=T0)
    assert inbox.claim(later.id, "w1", now=moment) is not None


def test_done_forgets_the_customer_text_and_old_rows_go(inbox):
    [row] = inbox.store([new("m_1", text="mon numéro 0612345678")], now=T0)
    inbox.claim(row.id, "w1", now=T0)
    inbox.done(row.id, now=T0)
    with inbox.engine.connect() as connection:
        assert connection.execute(sa.select(INBOX.c.payload)).scalar() == ""
    assert inbox.store([new("m_1")], now=T0) == []  # still known: a redelivery is dropped
    inbox._last_purge = 0.0
    [fresh] = inbox.store([new("m_2")], now=T0 + timedelta(days=4))
    inbox.claim(fresh.id, "w1", now=T0 + timedelta(days=4))
    inbox.done(fresh.id, now=T0 + timedelta(days=4))  # purges what finished 3+ days before
    assert inbox.counts() == {"done": 1}


def test_runnable_lists_the_first_unfinished_row_of_each_conversation(inbox):
    a1, a2 = inbox.store([new("a1", "A"), new("a2", "A")], now=T0)
    b1, b2 = inbox.store([new("b1", "B"), new("b2", "B")], now=T0)
    [c1] = inbox.store([new("c1", "C")], now=T0)
    inbox.claim(a1.id, "w1", now=T0)  # A busy: nothing of A to take
    inbox.claim(c1.id, "dead", now=T0 - LEASE * 2)  # C abandoned: take it again
    assert [s.id for s in inbox.runnable("messenger", now=T0)] == [b1.id, c1.id]
    inbox.done(b1.id)
    assert [s.id for s in inbox.runnable("messenger", now=T0)] == [b2.id, c1.id]
    assert a2.id not in [s.id for s in inbox.runnable("messenger", now=T0)]
    assert inbox.runnable("telegram", now=T0) == []  # each channel takes its own


def test_nothing_is_stored_when_the_database_is_down():
    down = Inbox(ChannelState("postgresql://causette:x@127.0.0.1:9/causette", timeout_s=1))
    with pytest.raises(StateUnavailable):
        down.store([new("m_1")])


def test_a_version_1_database_gets_the_inbox(tmp_path):
    url = f"sqlite:///{tmp_path / 'state.sqlite3'}"
    migrate(make_engine(url), MIGRATIONS[:1], VERSIONS)
    inbox = Inbox(ChannelState(url))
    assert inbox.store([new("m_1")]) != []
    tables = set(sa.inspect(inbox.engine).get_table_names())
    assert {"inbox", "customer_contacts"} <= tables and "deliveries_seen" not in tables


async def test_webhooks_writing_at_once_share_a_transaction_and_a_redelivery_is_stored_once(inbox):
    door = InboxDoor(inbox)
    calls = []
    store = inbox.store

    def counted(*args):
        calls.append(len(args[0]))
        return store(*args)

    inbox.store = counted
    answers = await asyncio.gather(
        *(door.store([new(f"m_{i}", f"C{i}")]) for i in range(20)),
        door.store([new("m_3", "C3")]),  # Facebook redelivered m_3 meanwhile
    )
    assert [len(a) for a in answers] == [1] * 20 + [0]
    assert sum(calls) == 21 and len(calls) <= 2  # one or two transactions, not 21
    assert inbox.counts() == {"pending": 20}


async def test_when_the_database_is_down_every_waiting_webhook_is_told():
    door = InboxDoor(Inbox(ChannelState("postgresql://causette:x@127.0.0.1:9/c", timeout_s=1)))
    answers = await asyncio.gather(
        door.store([new("m_1")]), door.store([new("m_2")]), return_exceptions=True
    )
    assert all(isinstance(a, StateUnavailable) for a in answers)
