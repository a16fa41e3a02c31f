"""The delivery worker: what was stored is run once, in order, after a crash too, never twice."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.lock_store import InMemoryLockStore
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.channels.inbox import LEASE, Delivery, Inbox, NewDelivery
from bot.channels.state import ChannelState
from bot.storage import naive_utc
from connectors.delivery_worker import DeliveryTurn, DeliveryWorker, message_id_for


@pytest.fixture
def inbox(tmp_path) -> Inbox:
    return Inbox(ChannelState(f"sqlite:///{tmp_path / 'state.sqlite3'}"))


def store(inbox: Inbox, *items: tuple[str, str]):
    return inbox.store([NewDelivery("messenger", d, c, {"text": d}) for d, c in items])


class Recorder:
    """A handler that records deliveries, optionally slowly or failing the first time."""

    def __init__(self, slow: set[str] = frozenset(), fail_once: set[str] = frozenset()) -> None:
        self.seen: list[str] = []
        self.slow, self.fail_once = set(slow), set(fail_once)

    async def __call__(self, delivery: Delivery) -> None:
        if delivery.delivery_id in self.fail_once:
            self.fail_once.discard(delivery.delivery_id)
            raise KeyError("a bug")
        await asyncio.sleep(0.2 if delivery.delivery_id in self.slow else 0)
        self.seen.append(delivery.delivery_id)


async def test_each_conversation_in_order_others_in_parallel(inbox):
    handler = Recorder(slow={"a1"})
    worker = DeliveryWorker("messenger", inbox, handler)
    for row in store(inbox, ("a1", "A"), ("b1", "B"), ("a2", "A")):
        worker.submit(row)
    await worker.drain()
    assert handler.seen == ["b1", "a1", "a2"]
    assert inbox.counts() == {"done": 3}


async def test_a_failure_is_retried_later_and_does_not_block_others(inbox, caplog):
    handler = Recorder(fail_once={"a1"})
    worker = DeliveryWorker("messenger", inbox, handler)
    for row in store(inbox, ("a1", "A"), ("b1", "B")):
        worker.submit(row)
    await worker.drain()
    assert handler.seen == ["b1"]
    assert "messenger: delivery a1 failed" in caplog.text
    assert (
        inbox.runnable("messenger", now=naive_utc() + timedelta(seconds=3))[0].conversation_id
        == "A"
    )


async def test_a_restarted_worker_takes_what_a_dead_one_left(inbox, caplog):
    taken, never_taken = store(inbox, ("a1", "A"), ("b1", "B"))
    assert inbox.claim(taken.id, "dead-worker") is not None  # then the process died
    handler = Recorder()
    restarted = DeliveryWorker("messenger", inbox, handler, poll_s=3600)
    with caplog.at_level(logging.WARNING):
        await restarted.start()
        await restarted.drain()
    assert handler.seen == ["b1"]  # never taken: run at once
    assert "1 stored deliveries recovered from a previous run" in caplog.text
    later = naive_utc() + LEASE + timedelta(seconds=1)  # the dead worker's lease ends
    [row] = inbox.runnable("messenger", now=later)
    assert row.id == taken.id
    await restarted.stop()


async def test_a_stopping_worker_takes_nothing_new(inbox):
    handler = Recorder(slow={"a1"})
    worker = DeliveryWorker("messenger", inbox, handler, poll_s=3600)
    a1, a2 = store(inbox, ("a1", "A"), ("a2", "A"))
    worker.submit(a1)
    worker.submit(a2)
    await asyncio.sleep(0.05)  # a1 is running
    await worker.stop()
    assert handler.seen == ["a1"]  # finished; a2 left for the next worker
    assert inbox.counts() == {"done": 1, "pending": 1}


class Agent:
    """Rasa's agent as a delivery turn sees it: a lock store and a tracker store."""

    def __init__(self, tracker: DialogueStateTracker | None = None) -> None:
        self.lock_store = InMemoryLockStore()
        self.tracker_store = self
        self.tracker = tracker
        self.saved = 0
        self.ready = True

    def is_ready(self) -> bool:
        return self.ready

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        return self.tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        self.saved += 1


def taken(inbox: Inbox, delivery_id: str, attempts: int, sent: int = 0) -> Delivery:
    [row] = store(inbox, (delivery_id, "messenger:1:A"))
    claimed = inbox.claim(row.id, "w")
    inbox.note_sent(row.id, sent)
    return Delivery(**{**claimed.__dict__, "attempts": attempts, "sent": sent})


async def test_a_turn_gets_the_delivery_as_message_id_and_counts_what_it_sends(inbox):
    delivery = taken(inbox, "m_1", attempts=1)
    output = CollectingOutputChannel()
    received = []

    async def rasa(message: UserMessage) -> None:
        received.append(message)
        for text in ("Bonjour !", "La parka coûte 189 €."):
            await message.output_channel.send_response(message.sender_id, {"text": text})

    await DeliveryTurn(delivery, inbox, rasa, Agent())(UserMessage("prix ?", output, "s"))
    assert received[0].message_id == "messenger:m_1" == message_id_for(delivery)
    assert [m["text"] for m in output.messages] == ["Bonjour !", "La parka coûte 189 €."]
    assert inbox.claim(delivery.id, "w2", now=naive_utc() + LEASE * 2).sent == 2


async def test_an_interrupted_turn_run_again_does_not_repeat_what_was_sent(inbox):
    delivery = taken(inbox, "m_2", attempts=2, sent=1)  # died after the first message
    output = CollectingOutputChannel()

    async def rasa(message: UserMessage) -> None:
        for text in ("Bonjour !", "La parka coûte 189 €."):
            await message.output_channel.send_response(message.sender_id, {"text": text})

    await DeliveryTurn(delivery, inbox, rasa, Agent())(UserMessage("prix ?", output, "s"))
    assert [m["text"] for m in output.messages] == ["La parka coûte 189 €."]


async def test_a_turn_already_saved_is_not_run_again(inbox):
    delivery = taken(inbox, "m_3", attempts=2)
    tracker = DialogueStateTracker("s", [])
    tracker.update(UserUttered("prix ?", message_id="messenger:m_3"))
    agent = Agent(tracker)
    ran = []

    async def rasa(message: UserMessage) -> None:
        ran.append(message)

    await DeliveryTurn(delivery, inbox, rasa, agent)(
        UserMessage("prix ?", CollectingOutputChannel(), "s")
    )
    assert ran == []
    assert agent.saved == 1  # its after-save work (funnel facts, Slack mirror) replayed


async def test_no_turn_before_the_model_is_loaded(inbox):
    agent = Agent()
    agent.ready = False
    delivery = taken(inbox, "m_4", attempts=1)

    async def rasa(message: UserMessage) -> None:
        raise AssertionError("must not run")

    with pytest.raises(RuntimeError, match="no model"):
        await DeliveryTurn(delivery, inbox, rasa, agent)(
            UserMessage("x", CollectingOutputChannel(), "s")
        )
