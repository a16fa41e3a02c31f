"""Rasa's SQL tracker store, which also writes the funnel facts of each message to the ledger,
and copies to Slack what a customer writes while a person handles the conversation.

Configured in ``endpoints.yml`` (``type: connectors.ledger_store.LedgerSQLTrackerStore``) with
the same settings as Rasa's ``SQL`` store. After Rasa has saved a conversation, the facts of its
latest message (:mod:`bot.sales.funnel`) go to the ledger on a worker thread: a slow or unavailable
ledger never delays the reply, and writes it cannot make are spooled (:mod:`bot.sales.ledger`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ConversationPaused, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.handoff.escalations import Escalations
from bot.handoff.slack_blocks import attachment_text, mirror_text
from bot.keys import PSEUDONYMISATION_KEY, pseudonym, require_secret
from bot.nlu.text import WORD_JOINER
from bot.sales.funnel import funnel_events
from bot.sales.ledger import FunnelEvent, Ledger
from bot.settings import get_settings

logger = logging.getLogger(__name__)


def message_for_person(tracker: DialogueStateTracker) -> tuple[str, str] | None:
    """(key, text) of the customer's latest message if it came while a person is in charge.

    Only messages after the latest pause count: the one that started the handoff is already in
    the escalation's transcript.
    """
    paused_at = None
    latest: UserUttered | None = None
    for index, event in enumerate(tracker.events):
        if isinstance(event, ConversationPaused):
            paused_at, latest = index, None
        elif isinstance(event, UserUttered) and paused_at is not None:
            latest = event
    if latest is None:
        return None
    attachments = (latest.metadata or {}).get("attachments") or []
    if attachments:
        text = attachment_text(str(attachments[0].get("type") or "file"))
    else:
        text = (latest.text or "").replace(WORD_JOINER, "")
    key = latest.message_id or f"{latest.timestamp:.6f}"
    return key, text


class LedgerSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` + funnel events to the ledger."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = get_settings()
        self._key = require_secret(PSEUDONYMISATION_KEY)  # refuse to start without it
        self._default_brand = settings.default_brand
        self.ledger = Ledger.from_env(settings.var_dir)
        # One writer thread: ledger writes stay in order and never block the event loop.
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ledger")
        self._pending: set[Future] = set()
        self.escalations = Escalations.from_env(settings.var_dir)

    async def save(self, tracker: DialogueStateTracker) -> None:
        await super().save(tracker)
        if tracker.is_paused():
            message = message_for_person(tracker)
            if message is not None:
                self._submit(self._mirror, tracker.sender_id, *message)
        try:
            found = funnel_events(
                pseudonym(tracker.sender_id, self._key),
                tracker.get_slot("brand") or self._default_brand,
                [event.as_dict() for event in tracker.events],
            )
        except Exception:  # a bug here must not cost the customer the reply
            logger.exception("could not derive funnel events for a conversation")
            return
        if found:
            self._submit(self._write, found)

    def _submit(self, work: Callable[..., None], *args: Any) -> None:
        """Run ``work`` on the writer thread; ``drain`` waits for it."""
        future = self._writer.submit(work, *args)
        self._pending.add(future)
        future.add_done_callback(self._pending.discard)

    def _write(self, events: list[FunnelEvent]) -> None:
        for event in events:
            try:
                self.ledger.record_safely(event)
            except Exception:
                logger.exception("LEDGER WRITE FAILED for %s", event.key)

    def _mirror(self, conversation_id: str, message_key: str, text: str) -> None:
        """Copy a customer's message into the Slack thread of their escalation (outbox)."""
        try:
            escalation = self.escalations.active_for(conversation_id)
            if escalation is None:
                return
            label = str(escalation.card.get("customer_label") or "client")
            self.escalations.enqueue(
                escalation.id, f"mirror:{escalation.id}:{message_key}", mirror_text(label, text)
            )
        except Exception:
            logger.exception("HANDOFF MIRROR FAILED for a customer message")

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait for the writes in flight (tests and shutdown)."""
        pending = list(self._pending)
        if pending:
            await asyncio.wait_for(
                asyncio.gather(*(asyncio.wrap_future(f) for f in pending)), timeout
            )
