"""What community managers do in Slack, carried out.

A reply in an escalation's thread goes to the customer on their channel
(:mod:`connectors.customer_outputs`; Messenger uses the HUMAN_AGENT tag after 24 h) and into the
conversation's transcript; a reply starting with ``note:`` stays in Slack; ``!bot`` or
**Résolu** gives the conversation back to the bot, which says so. **Je prends** claims it;
**Vente conclue** opens the sale form, whose submission records a sale the person made. Each
step is recorded in the ledger once. Requests reach here through
:mod:`connectors.slack_handoff`, which checks and stores them first.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, OutputChannel
from rasa.core.policies.policy import PolicyPrediction
from rasa.shared.core.events import BotUttered
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.handoff.escalation_records import Escalation
from bot.handoff.escalations import Escalations
from bot.handoff.sale_modal import sale_modal
from bot.sales.ledger import EventKind, FunnelEvent, Ledger
from connectors.customer_outputs import CannotReachCustomer, output_for, send_human_text
from connectors.messenger import OutsideMessagingWindow
from connectors.slack_dispatcher import NETWORK_ERRORS, card_message, escalation_brand

logger = logging.getLogger(__name__)

RESUME_ACTION = "action_handoff_resume"
NOTE_PREFIX = "note:"
BOT_COMMAND = "!bot"


def _seconds_since(start: datetime | None) -> float | None:
    return (datetime.now(timezone.utc) - start).total_seconds() if start else None


def is_person_reply(event: dict[str, Any], bot_user: str | None) -> bool:
    """Whether a Slack event is a person's message in a thread (not a bot's, an edit, a join)."""
    if event.get("type") != "message" or event.get("subtype") or event.get("bot_id"):
        return False
    if bot_user and event.get("user") == bot_user:
        return False
    thread_ts, ts = event.get("thread_ts"), event.get("ts")
    text = str(event.get("text") or "").strip()
    return bool(thread_ts and event.get("channel") and text and thread_ts != ts)


class SlackDesk:
    """The community managers' side of a handoff. One per server."""

    def __init__(self, client: AsyncWebClient, escalations: Escalations, ledger: Ledger) -> None:
        self.client = client
        self.escalations = escalations
        self.ledger = ledger
        self.agent: Any = None  # Rasa's agent, once the server runs
        self.bot_user: str | None = None  # our own Slack user, whose messages are ignored

    async def on_event(self, event: dict[str, Any], retaken: bool = False) -> None:
        """A thread reply from a person: relay it, keep it as a note, or give back to the bot.

        ``retaken``: an earlier run of this event may have relayed it already (the server
        stopped before the event was marked done); the conversation then says so and it is not
        sent to the customer twice.
        """
        if not is_person_reply(event, self.bot_user):
            return
        thread_ts, channel = event["thread_ts"], event["channel"]
        text = str(event.get("text") or "").strip()
        escalation = await asyncio.to_thread(self.escalations.by_thread, channel, thread_ts)
        if escalation is None or escalation.status == "resolved":
            return
        user = str(event.get("user") or "")
        if text.lower().startswith(NOTE_PREFIX):
            return
        if text.lower() == BOT_COMMAND:
            await self.resolve(escalation, user)
            return
        ts = str(event.get("ts") or "")
        if retaken and await self._already_relayed(escalation.conversation_id, ts):
            logger.warning("Slack reply %s was relayed before a restart: not again", ts)
            return
        try:
            await send_human_text(escalation.conversation_id, text)
        except (CannotReachCustomer, OutsideMessagingWindow) as error:
            await asyncio.to_thread(
                self.escalations.enqueue,
                escalation.id,
                f"undelivered:{event.get('ts')}",
                f":warning: Message non transmis au client : {error}",
            )
            return
        except Exception as error:  # GraphApiError and the like: say it in the thread
            logger.exception("relay to %s failed", escalation.conversation_id)
            await asyncio.to_thread(
                self.escalations.enqueue,
                escalation.id,
                f"undelivered:{event.get('ts')}",
                f":warning: Message non transmis au client ({type(error).__name__}), réessayez.",
            )
            return
        await self._log_human_message(escalation.conversation_id, text, user, ts)
        if await asyncio.to_thread(self.escalations.first_reply, escalation.id):
            await self._record_claim(escalation, user)

    async def _log_human_message(self, conversation_id: str, text: str, user: str, ts: str) -> None:
        """Keep the person's message in the conversation, so transcripts stay whole."""
        if self.agent is None:
            return
        async with self.agent.lock_store.lock(conversation_id):
            tracker = await self.agent.tracker_store.retrieve(conversation_id)
            if tracker is None:
                return
            tracker.update(BotUttered(text=text, metadata={"from_human": user, "slack_ts": ts}))
            await self.agent.tracker_store.save(tracker)

    async def _already_relayed(self, conversation_id: str, ts: str) -> bool:
        if self.agent is None:
            return False
        tracker = await self.agent.tracker_store.retrieve(conversation_id)
        return tracker is not None and any(
            isinstance(event, BotUttered) and (event.metadata or {}).get("slack_ts") == ts
            for event in tracker.events
        )

    # --- claims, resolution, sales ---------------------------------------------------------------

    async def claim(self, escalation: Escalation, user: str) -> None:
        updated = await asyncio.to_thread(self.escalations.claim, escalation.id, user)
        if updated is not None and updated.status == "claimed" and updated.claimed_by == user:
            await self._record_claim(updated, user)
        await self._update_card(updated or escalation)

    async def _record_claim(self, escalation: Escalation, user: str) -> None:
        """The first human action (claim or reply) counts as the claim, once."""
        await self._record_handoff(escalation, EventKind.HANDOFF_CLAIMED, user)

    async def _record_handoff(self, escalation: Escalation, kind: EventKind, user: str) -> None:
        """Claimed or resolved, by whom, how long after the escalation (once per escalation)."""
        event = FunnelEvent(
            key=f"{kind.value}:{escalation.id}",
            kind=kind,
            brand=escalation.brand,
            at=datetime.now(timezone.utc),
            channel=escalation.channel,
            customer=escalation.customer,
            attribution=f"human:{user}",
            seconds=_seconds_since(escalation.created_at),
            details={"escalation": escalation.id},
        )
        await asyncio.to_thread(self.ledger.record_safely, event)

    async def resolve(self, escalation: Escalation, user: str) -> None:
        """Give the conversation back to the bot (once), which tells the customer."""
        if not await asyncio.to_thread(self.escalations.resolve, escalation.id, user):
            return
        await self._record_handoff(escalation, EventKind.HANDOFF_RESOLVED, user)
        await self._update_card(await asyncio.to_thread(self.escalations.get, escalation.id))
        await self._resume_bot(escalation.conversation_id)

    async def _resume_bot(self, conversation_id: str) -> None:
        agent = self.agent
        if agent is None or agent.processor is None:
            logger.error("cannot resume %s: no agent loaded", conversation_id)
            return
        output: OutputChannel
        try:
            output = output_for(conversation_id)
        except CannotReachCustomer as error:
            logger.error("resuming %s without telling the customer: %s", conversation_id, error)
            output = CollectingOutputChannel()
        prediction = PolicyPrediction.for_action_name(agent.domain, RESUME_ACTION)
        async with agent.lock_store.lock(conversation_id):
            await agent.processor.execute_action(
                conversation_id, RESUME_ACTION, output, agent.nlg, prediction
            )

    async def record_sale(
        self, escalation: Escalation, amount_cents: int, order_id: str | None, user: str
    ) -> None:
        brand = escalation_brand(escalation.brand)
        event = FunnelEvent(
            key=f"conversion:{escalation.brand}:{order_id or 'human-' + escalation.id}",
            kind=EventKind.CONVERSION,
            brand=escalation.brand,
            at=datetime.now(timezone.utc),
            channel=escalation.channel,
            customer=escalation.customer,
            amount_cents=amount_cents,
            currency=brand.currency if brand else "EUR",
            attribution=f"human:{user}",
            order_id=order_id,
            details={"source": "slack", "escalation": escalation.id},
        )
        await asyncio.to_thread(self.ledger.record_safely, event)

    async def _update_card(self, escalation: Escalation) -> None:
        if not escalation.thread_ts:
            return
        text, blocks = card_message(escalation)
        try:
            await self.client.chat_update(
                channel=escalation.slack_channel, ts=escalation.thread_ts, text=text, blocks=blocks
            )
        except (SlackApiError, *NETWORK_ERRORS) as error:
            logger.warning("escalation card %s not updated: %r", escalation.id, error)

    async def open_sale_form(self, escalation: Escalation, trigger_id: str) -> None:
        """The "Vente conclue" form, in the brand's currency."""
        brand = escalation_brand(escalation.brand)
        try:
            await self.client.views_open(
                trigger_id=trigger_id,
                view=sale_modal(escalation.id, brand.currency if brand else "EUR"),
            )
        except (SlackApiError, *NETWORK_ERRORS) as error:
            logger.error("sale form not opened for %s: %r", escalation.id, error)
