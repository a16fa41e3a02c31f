"""The escalation dispatcher: what the handoff stored, posted to Slack, once, in order.

One task per server (started by :class:`connectors.slack_handoff.SlackHandoffInput`), every
second: it posts stored escalations (:mod:`bot.handoff.escalations`), retries with backoff
(``Retry-After`` honoured) while Slack fails, queues the SLA reminder, and posts each thread's
outbox in order. Everything it does survives a restart because it lives in the database; rows are
leased, so several workers never post the same thing. After a timeout, the channel's history is
searched before posting again: one escalation, one thread.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.brand.brand_file import Brand, load_brand
from bot.brand.errors import BrandError
from bot.brand.handoff_config import DEFAULT_SLA_MINUTES
from bot.handoff.escalation_records import Escalation
from bot.handoff.escalations import Escalations, EscalationsUnavailable
from bot.handoff.slack_blocks import EscalationCard, escalation_message, reminder_text

logger = logging.getLogger(__name__)

METADATA_EVENT = "causette_escalation"
TICK_S = 1.0
# Slack did not answer: the request may or may not have been carried out.
NETWORK_ERRORS = (asyncio.TimeoutError, OSError, aiohttp.ClientError)


def retry_after(error: SlackApiError) -> timedelta | None:
    """How long Slack asked us to wait (``Retry-After``), if it did."""
    try:
        return timedelta(seconds=float(error.response.headers.get("Retry-After", 0)))
    except (TypeError, ValueError, AttributeError):
        return None


def escalation_brand(slug: str) -> Brand | None:
    """The brand of an escalation; None (logged) if its file is gone or broken."""
    try:
        return load_brand(slug)
    except BrandError:
        logger.error("unknown brand %r in an escalation", slug)
        return None


def card_message(escalation: Escalation) -> tuple[str, list[dict]]:
    """The escalation's card as it should look now (fallback text, blocks)."""
    return escalation_message(
        EscalationCard(**escalation.card),
        status=escalation.status,
        claimed_by=escalation.claimed_by,
        resolved_by=escalation.resolved_by,
    )


class SlackDispatcher:
    """Posts stored escalations and their threads' messages; one per server."""

    def __init__(
        self, client: AsyncWebClient, escalations: Escalations, tick_s: float = TICK_S
    ) -> None:
        self.client = client
        self.escalations = escalations
        self.tick_s = tick_s

    async def dispatch_once(self) -> None:
        """One pass: post escalations, queue due reminders, post the threads' outbox."""
        for escalation in await asyncio.to_thread(self.escalations.lease_unposted):
            await self._post_escalation(escalation)
        for escalation in await asyncio.to_thread(self.escalations.due_reminders):
            brand = escalation_brand(escalation.brand)
            minutes = brand.handoff.sla_minutes if brand else DEFAULT_SLA_MINUTES
            await asyncio.to_thread(
                self.escalations.remind, escalation.id, reminder_text(escalation.usergroup, minutes)
            )
        for item in await asyncio.to_thread(self.escalations.lease_outbox):
            escalation = await asyncio.to_thread(self.escalations.get, item.escalation_id)
            try:
                await self.client.chat_postMessage(
                    channel=escalation.slack_channel,
                    thread_ts=escalation.thread_ts,
                    text=item.text,
                    unfurl_links=False,
                    unfurl_media=False,
                )
            except SlackApiError as error:
                await asyncio.to_thread(
                    self.escalations.outbox_failed, item, self._describe(error), retry_after(error)
                )
            except NETWORK_ERRORS as error:
                await asyncio.to_thread(
                    self.escalations.outbox_failed, item, type(error).__name__, None
                )
            else:
                await asyncio.to_thread(self.escalations.outbox_sent, item.id)

    async def _post_escalation(self, escalation: Escalation) -> None:
        if not escalation.slack_channel:
            await asyncio.to_thread(
                self.escalations.post_failed, escalation, "no Slack channel for this brand", False
            )
            logger.error("escalation %s: the brand has no Slack channel", escalation.id)
            return
        if escalation.post_uncertain:
            found = await self._find_earlier_post(escalation)
            if found:
                await asyncio.to_thread(self.escalations.posted, escalation.id, found)
                logger.info(
                    "escalation %s was posted before the timeout: thread kept", escalation.id
                )
                return
        # claimed or resolved already if Slack was down long
        text, blocks = card_message(escalation)
        await asyncio.to_thread(self.escalations.posting, escalation.id)
        try:
            answer = await self.client.chat_postMessage(
                channel=escalation.slack_channel,
                text=text,
                blocks=blocks,
                metadata={
                    "event_type": METADATA_EVENT,
                    "event_payload": {"escalation_id": escalation.id},
                },
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as error:
            reason = self._describe(error)
            logger.error(
                "SLACK POST FAILED for escalation %s (attempt %s, kept in the outbox): %s",
                escalation.id,
                escalation.post_attempts + 1,
                reason,
            )
            await asyncio.to_thread(
                self.escalations.post_failed, escalation, reason, False, retry_after(error)
            )
        except NETWORK_ERRORS as error:
            # Slack may have posted it: look in the channel before posting again.
            logger.error("SLACK POST UNCERTAIN for escalation %s: %r", escalation.id, error)
            await asyncio.to_thread(self.escalations.post_failed, escalation, repr(error), True)
        else:
            await asyncio.to_thread(self.escalations.posted, escalation.id, answer["ts"])
            logger.info("escalation %s posted to %s", escalation.id, escalation.slack_channel)

    async def _find_earlier_post(self, escalation: Escalation) -> str | None:
        oldest = escalation.created_at.timestamp() - 60
        try:
            history = await self.client.conversations_history(
                channel=escalation.slack_channel,
                oldest=f"{oldest:.6f}",
                limit=200,
                include_all_metadata=True,
            )
        except (SlackApiError, *NETWORK_ERRORS) as error:
            logger.warning("cannot check Slack history for %s: %r", escalation.id, error)
            return None
        for message in history.get("messages") or []:
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            if payload.get("escalation_id") == escalation.id:
                return message.get("ts")
        return None

    @staticmethod
    def _describe(error: SlackApiError) -> str:
        status = getattr(error.response, "status_code", None)
        return f"HTTP {status}: {error.response.get('error') if error.response else error}"

    async def run(self) -> None:
        """Dispatch every ``tick_s`` until cancelled; a failed pass is logged, not fatal."""
        while True:
            try:
                await self.dispatch_once()
            except EscalationsUnavailable as error:
                logger.error("HANDOFF DATABASE UNAVAILABLE, retrying: %s", error)
            except Exception:
                logger.exception("handoff dispatcher pass failed")
            await asyncio.sleep(self.tick_s)
