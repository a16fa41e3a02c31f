"""Running what the inbox stored: each delivery once, in order per conversation, after any crash.

:class:`DeliveryWorker` takes a channel's stored deliveries (:mod:`bot.channels.inbox`) and runs
them, at once when they arrive and, every few seconds, whatever a stopped or crashed process
left: rows never taken, and rows whose lease ended because their worker died. It renews the
leases of the rows it is working on, and on a stop takes nothing new and waits for what it runs.

:class:`DeliveryTurn` makes the second run of a delivery harmless. Rasa's message id is the
delivery's id; if a turn with that id is already in the tracker, it is not run again. Otherwise
the bot messages the first run already sent (counted in the inbox, one by one) are not sent
again: the customer sees each answer once, even if the server died in the middle of a turn.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.shared.core.events import UserUttered

from bot.channels.inbox import Delivery, Inbox, Stored
from bot.channels.state import StateUnavailable
from connectors.ordered_tasks import SenderQueues

logger = logging.getLogger(__name__)

POLL_S = 2.0
STOP_TIMEOUT_S = 30.0

Handler = Callable[[Delivery], Awaitable[None]]
OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


class NotReady(RuntimeError):
    """Rasa has no model loaded yet: the delivery waits."""


def message_id_for(delivery: Delivery) -> str:
    """Rasa's message id for a delivery: the same on every run of it."""
    return f"{delivery.channel}:{delivery.delivery_id}"


class DeliveryWorker:
    """Takes one channel's stored deliveries and hands each to ``handle``. One per server."""

    def __init__(self, channel: str, inbox: Inbox, handle: Handler, poll_s: float = POLL_S) -> None:
        self.name = channel  # the inbox rows it takes are this channel's
        self.inbox = inbox
        self.handle = handle
        self.poll_s = poll_s
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.queues = SenderQueues(channel)
        self._queued: set[int] = set()
        self._held: set[int] = set()
        self._stopping = False
        self._poller: asyncio.Task | None = None

    def submit(self, row: Stored) -> None:
        """Run row ``row`` after what this worker already runs for its conversation."""
        if row.id in self._queued or self._stopping:
            return
        self._queued.add(row.id)
        self.queues.submit(row.conversation_id, lambda: self._run(row.id))

    async def _run(self, row_id: int) -> None:
        try:
            if self._stopping:
                return
            delivery = await self.inbox.state.write(self.inbox.claim, row_id, self.owner)
            if delivery is None:
                return  # done, someone else's, or waiting behind its conversation
            self._held.add(row_id)
            if delivery.retaken:
                logger.warning(
                    "%s: delivery %s taken again (attempt %s)",
                    self.name,
                    delivery.delivery_id,
                    delivery.attempts,
                )
            try:
                await self.handle(delivery)
            except Exception as error:
                if not isinstance(error, NotReady):
                    logger.exception("%s: delivery %s failed", self.name, delivery.delivery_id)
                reason = f"{type(error).__name__}: {error}"
                await self.inbox.state.write(
                    self.inbox.retry_later, row_id, delivery.attempts, reason
                )
                return
            await self.inbox.state.write(self.inbox.done, row_id)
        except StateUnavailable as error:
            # Taken again once its lease ends; a turn already saved is then not run twice.
            logger.error(
                "STATE UNAVAILABLE, %s delivery %s left for later: %s", self.name, row_id, error
            )
        finally:
            self._queued.discard(row_id)
            self._held.discard(row_id)

    # --- what others left, and leases -------------------------------------------------------

    async def poll_once(self) -> int:
        """Renew our leases and submit what can be taken; how many rows were submitted."""
        if self._held:
            # Ahead of other writes: a lease that lapsed while its turn runs would let another
            # worker run the turn too.
            await self.inbox.state.write(
                self.inbox.renew, sorted(self._held), self.owner, urgent=True
            )
        found = await asyncio.to_thread(self.inbox.runnable, self.name)
        fresh = [row for row in found if row.id not in self._queued]
        for row in fresh:
            self.submit(row)
        return len(fresh)

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.poll_s)
            try:
                await self.poll_once()
            except StateUnavailable as error:
                logger.error("STATE UNAVAILABLE, %s inbox not polled: %s", self.name, error)
            except Exception:
                logger.exception("%s: inbox poll failed", self.name)

    async def start(self) -> None:
        """Bring the inbox's tables up to date, take up what a previous run left, keep polling."""
        self._stopping = False
        try:
            await asyncio.to_thread(self.inbox.state.ensure_schema)
            recovered = await self.poll_once()
        except StateUnavailable as error:
            logger.error("STATE UNAVAILABLE at start, %s inbox not read: %s", self.name, error)
        else:
            if recovered:
                logger.warning(
                    "%s: %s stored deliveries recovered from a previous run", self.name, recovered
                )
        self._poller = asyncio.get_running_loop().create_task(self._poll())

    async def stop(self, timeout: float = STOP_TIMEOUT_S) -> None:
        """Take nothing new; wait up to ``timeout`` for the deliveries being run."""
        self._stopping = True
        if self._poller is not None:
            self._poller.cancel()
        await self.queues.drain(timeout)
        if self._held:
            logger.error(
                "%s: stopped with %s deliveries unfinished; they are taken again after their lease",
                self.name,
                len(self._held),
            )

    async def drain(self, timeout: float = STOP_TIMEOUT_S) -> None:
        """Wait for everything submitted so far (tests)."""
        await self.queues.drain(timeout)


class CountedOutput(OutputChannel):
    """The channel's output for one delivery's turn: skips the bot messages an earlier run of the
    same delivery sent, and counts the others in the inbox as they go.

    Rasa sends each bot message with :meth:`send_response`; a direct call of one of the other
    ``send_*`` methods counts as one message too.
    """

    def __init__(
        self, inner: OutputChannel, already_sent: int, on_sent: Callable[[int], Awaitable[None]]
    ) -> None:
        self.inner = inner
        self.already_sent = already_sent
        self.on_sent = on_sent
        self.count = 0

    def name(self) -> str:  # type: ignore[override]  # Rasa calls it on the instance
        return self.inner.name()

    async def _once(self, send: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> None:
        self.count += 1
        if self.count <= self.already_sent:
            logger.info("bot message %s of a turn was sent before a restart: not again", self.count)
            return
        await send(*args, **kwargs)
        await self.on_sent(self.count)

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        await self._once(self.inner.send_response, recipient_id, message)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._once(self.inner.send_text_message, recipient_id, text, **kwargs)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self._once(self.inner.send_image_url, recipient_id, image, **kwargs)

    async def send_attachment(self, recipient_id: str, attachment: str, **kwargs: Any) -> None:
        await self._once(self.inner.send_attachment, recipient_id, attachment, **kwargs)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self._once(self.inner.send_text_with_buttons, recipient_id, text, buttons, **kwargs)

    async def send_quick_replies(
        self, recipient_id: str, text: str, quick_replies: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self._once(self.inner.send_quick_replies, recipient_id, text, quick_replies, **kwargs)

    async def send_elements(
        self, recipient_id: str, elements: Iterable[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self._once(self.inner.send_elements, recipient_id, elements, **kwargs)

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        await self._once(self.inner.send_custom_json, recipient_id, json_message, **kwargs)

    def __getattr__(self, name: str) -> Any:  # send_typing, send_human_agent_text…
        return getattr(self.inner, name)


class DeliveryTurn:
    """Hands one stored delivery's message to Rasa so that running it twice is harmless."""

    def __init__(
        self, delivery: Delivery, inbox: Inbox, on_new_message: OnNewMessage, agent: Any = None
    ) -> None:
        self.delivery = delivery
        self.inbox = inbox
        self.on_new_message = on_new_message
        self.agent = agent

    async def __call__(self, message: UserMessage) -> None:
        ready = getattr(self.agent, "is_ready", None)
        if ready is not None and not ready():
            raise NotReady("no model loaded yet")
        message.message_id = message_id_for(self.delivery)
        if self.delivery.retaken and await self._already_saved(message):
            return
        message.output_channel = CountedOutput(
            message.output_channel, self.delivery.sent, self._note_sent
        )
        await self.on_new_message(message)

    async def _note_sent(self, count: int) -> None:
        try:
            await self.inbox.state.write(self.inbox.note_sent, self.delivery.id, count)
        except StateUnavailable as error:
            logger.error("STATE UNAVAILABLE, a sent message was not counted: %s", error)

    async def _already_saved(self, message: UserMessage) -> bool:
        """Whether an earlier run saved this turn; if so, its after-save work is replayed (the
        ledger's funnel facts and the Slack mirror are idempotent)."""
        store = getattr(self.agent, "tracker_store", None)
        if store is None:
            return False
        async with self.agent.lock_store.lock(message.sender_id):
            tracker = await store.retrieve(message.sender_id)
            if tracker is None or not any(
                isinstance(event, UserUttered) and event.message_id == message.message_id
                for event in tracker.events
            ):
                return False
            await store.save(tracker)
        logger.warning(
            "delivery %s: its turn was saved before a restart; not run again",
            self.delivery.delivery_id,
        )
        return True
