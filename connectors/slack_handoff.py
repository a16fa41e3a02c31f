"""Slack for community managers: the ``slack_handoff`` channel and the escalation dispatcher.

* ``POST /webhooks/slack_handoff/events`` (Events API, ``url_verification`` included) and
  ``POST /webhooks/slack_handoff/interactive`` (buttons and the sale modal). Every request is
  checked with ``slack_sdk.signature.SignatureVerifier`` (5-minute window): 401 otherwise.
  Retries are dropped by ``event_id``; messages from bots (ours included) are ignored.
* A reply in an escalation's thread goes to the customer on their channel
  (:mod:`connectors.customer_outputs`; Messenger uses the HUMAN_AGENT tag after 24 h). A reply
  starting with ``note:`` stays in Slack. ``!bot`` or **Résolu** gives the conversation back to
  the bot, which says so. **Je prends** claims it; **Vente conclue** records a sale the person
  made, with its amount.
* The dispatcher (one task per server, every second) posts stored escalations
  (:mod:`bot.escalations`), retries with backoff (``Retry-After`` honoured) while Slack fails,
  queues the SLA reminder, and posts the thread's outbox in order. Everything it does survives a
  restart because it lives in the database.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs

import aiohttp
from rasa.core.channels.channel import (
    CollectingOutputChannel,
    InputChannel,
    OutputChannel,
    UserMessage,
)
from rasa.core.policies.policy import PolicyPrediction
from rasa.shared.core.events import BotUttered
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.brand import Brand, BrandError, load_brand
from bot.channel_state import ChannelState, StateUnavailable
from bot.escalations import Escalation, Escalations, EscalationsUnavailable
from bot.keys import problem_with
from bot.ledger import EventKind, FunnelEvent, Ledger
from bot.settings import get_settings
from bot.slack_blocks import (
    EscalationCard,
    SaleInputError,
    escalation_message,
    read_sale_submission,
    reminder_text,
    sale_modal,
)
from connectors.customer_outputs import CannotReachCustomer, output_for, send_human_text
from connectors.messenger import OutsideMessagingWindow
from connectors.ordered_tasks import SenderQueues

logger = logging.getLogger(__name__)

CHANNEL = "slack_handoff"
DEFAULT_API_URL = "https://slack.com/api/"
RESUME_ACTION = "action_handoff_resume"
METADATA_EVENT = "causette_escalation"
TICK_S = 1.0
SLACK_TIMEOUT_S = 10
NOTE_PREFIX = "note:"
# Slack did not answer: the request may or may not have been carried out.
NETWORK_ERRORS = (asyncio.TimeoutError, OSError, aiohttp.ClientError)
BOT_COMMAND = "!bot"


def _seconds_since(start: datetime | None) -> float | None:
    return (datetime.now(timezone.utc) - start).total_seconds() if start else None


def _retry_after(error: SlackApiError) -> timedelta | None:
    try:
        return timedelta(seconds=float(error.response.headers.get("Retry-After", 0)))
    except (TypeError, ValueError, AttributeError):
        return None


class SlackHandoffInput(InputChannel):
    """Custom channel ``slack_handoff`` (credentials.yml: ``connectors.slack_handoff…``)."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> SlackHandoffInput:
        credentials = credentials or {}
        token = str(credentials.get("bot_token") or "").strip()
        secret = str(credentials.get("signing_secret") or "").strip()
        if not token:
            raise ValueError("SLACK_BOT_TOKEN is empty (see README, Slack)")
        problem = problem_with(secret)
        if problem:
            raise ValueError(f"SLACK_SIGNING_SECRET {problem} (see README, Slack)")
        return cls(token, secret, os.environ.get("SLACK_API_URL") or DEFAULT_API_URL)

    def __init__(
        self,
        bot_token: str,
        signing_secret: str,
        api_url: str = DEFAULT_API_URL,
        tick_s: float = TICK_S,
        timeout_s: int = SLACK_TIMEOUT_S,
    ) -> None:
        # No built-in retries: a retried chat.postMessage could post a second thread; the
        # dispatcher retries itself, and checks the channel's history after a timeout.
        self.client = AsyncWebClient(
            token=bot_token, base_url=api_url, timeout=timeout_s, retry_handlers=[]
        )
        self.verifier = SignatureVerifier(signing_secret)
        settings = get_settings()
        self.escalations = Escalations.from_env(settings.var_dir)
        self.state = ChannelState.from_env(settings.var_dir)
        self.ledger = Ledger.from_env(settings.var_dir)
        self.queues = SenderQueues(CHANNEL)
        self.tick_s = tick_s
        self.app: Sanic | None = None
        self._dispatcher: asyncio.Task | None = None
        self._bot_user: str | None = None

    # --- database calls off the event loop ------------------------------------------------

    async def _db(self, call: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(None, call, *args)

    # --- the dispatcher -----------------------------------------------------------------------

    async def dispatch_once(self) -> None:
        """One pass: post escalations, queue due reminders, post the threads' outbox."""
        for escalation in await self._db(self.escalations.lease_unposted):
            await self._post_escalation(escalation)
        for escalation in await self._db(self.escalations.due_reminders):
            brand = self._brand(escalation.brand)
            minutes = brand.handoff.sla_minutes if brand else 15
            await self._db(
                self.escalations.remind, escalation.id, reminder_text(escalation.usergroup, minutes)
            )
        for item in await self._db(self.escalations.lease_outbox):
            escalation = await self._db(self.escalations.get, item.escalation_id)
            try:
                await self.client.chat_postMessage(
                    channel=escalation.slack_channel,
                    thread_ts=escalation.thread_ts,
                    text=item.text,
                    unfurl_links=False,
                    unfurl_media=False,
                )
            except SlackApiError as error:
                await self._db(
                    self.escalations.outbox_failed, item, self._describe(error), _retry_after(error)
                )
            except NETWORK_ERRORS as error:
                await self._db(self.escalations.outbox_failed, item, type(error).__name__, None)
            else:
                await self._db(self.escalations.outbox_sent, item.id)

    async def _post_escalation(self, escalation: Escalation) -> None:
        if not escalation.slack_channel:
            await self._db(
                self.escalations.post_failed, escalation, "no Slack channel for this brand", False
            )
            logger.error("escalation %s: the brand has no Slack channel", escalation.id)
            return
        if escalation.post_uncertain:
            found = await self._find_earlier_post(escalation)
            if found:
                await self._db(self.escalations.posted, escalation.id, found)
                logger.info(
                    "escalation %s was posted before the timeout: thread kept", escalation.id
                )
                return
        text, blocks = escalation_message(
            EscalationCard(**escalation.card),
            status=escalation.status,  # claimed or resolved already if Slack was down long
            claimed_by=escalation.claimed_by,
            resolved_by=escalation.resolved_by,
        )
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
            await self._db(
                self.escalations.post_failed, escalation, reason, False, _retry_after(error)
            )
        except NETWORK_ERRORS as error:
            # Slack may have posted it: look in the channel before posting again.
            logger.error("SLACK POST UNCERTAIN for escalation %s: %r", escalation.id, error)
            await self._db(self.escalations.post_failed, escalation, repr(error), True)
        else:
            await self._db(self.escalations.posted, escalation.id, answer["ts"])
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

    async def _run_dispatcher(self) -> None:
        while True:
            try:
                await self.dispatch_once()
            except (EscalationsUnavailable, StateUnavailable) as error:
                logger.error("HANDOFF DATABASE UNAVAILABLE, retrying: %s", error)
            except Exception:
                logger.exception("handoff dispatcher pass failed")
            await asyncio.sleep(self.tick_s)

    # --- inbound: events ----------------------------------------------------------------------

    def verified(self, request: Request) -> bool:
        return self.verifier.is_valid_request(request.body or b"", dict(request.headers))

    async def on_event(self, event: dict[str, Any]) -> None:
        """A thread reply from a person: relay it, keep it as a note, or give back to the bot."""
        if event.get("type") != "message" or event.get("subtype") or event.get("bot_id"):
            return  # bots (us included), edits, joins...
        if self._bot_user and event.get("user") == self._bot_user:
            return
        thread_ts, channel = event.get("thread_ts"), event.get("channel")
        text = str(event.get("text") or "").strip()
        if not thread_ts or not channel or not text or thread_ts == event.get("ts"):
            return
        escalation = await self._db(self.escalations.by_thread, channel, thread_ts)
        if escalation is None or escalation.status == "resolved":
            return
        user = str(event.get("user") or "")
        if text.lower().startswith(NOTE_PREFIX):
            return
        if text.lower() == BOT_COMMAND:
            await self.resolve(escalation, user)
            return
        try:
            await send_human_text(escalation.conversation_id, text)
        except (CannotReachCustomer, OutsideMessagingWindow) as error:
            await self._db(
                self.escalations.enqueue,
                escalation.id,
                f"undelivered:{event.get('ts')}",
                f":warning: Message non transmis au client : {error}",
            )
            return
        except Exception as error:  # GraphApiError and the like: say it in the thread
            logger.exception("relay to %s failed", escalation.conversation_id)
            await self._db(
                self.escalations.enqueue,
                escalation.id,
                f"undelivered:{event.get('ts')}",
                f":warning: Message non transmis au client ({type(error).__name__}), réessayez.",
            )
            return
        await self._log_human_message(escalation.conversation_id, text, user)
        if await self._db(self.escalations.first_reply, escalation.id):
            await self._record_claim(escalation, user)

    async def _log_human_message(self, conversation_id: str, text: str, user: str) -> None:
        """Keep the person's message in the conversation, so transcripts stay whole."""
        agent = self.app.ctx.agent if self.app else None
        if agent is None:
            return
        async with agent.lock_store.lock(conversation_id):
            tracker = await agent.tracker_store.retrieve(conversation_id)
            if tracker is None:
                return
            tracker.update(BotUttered(text=text, metadata={"from_human": user}))
            await agent.tracker_store.save(tracker)

    # --- claims, resolution, sales ---------------------------------------------------------------

    async def claim(self, escalation: Escalation, user: str) -> None:
        updated = await self._db(self.escalations.claim, escalation.id, user)
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
        await self._db(self.ledger.record_safely, event)

    async def resolve(self, escalation: Escalation, user: str) -> None:
        """Give the conversation back to the bot (once), which tells the customer."""
        if not await self._db(self.escalations.resolve, escalation.id, user):
            return
        await self._record_handoff(escalation, EventKind.HANDOFF_RESOLVED, user)
        await self._update_card(await self._db(self.escalations.get, escalation.id))
        await self._resume_bot(escalation.conversation_id)

    async def _resume_bot(self, conversation_id: str) -> None:
        agent = self.app.ctx.agent if self.app else None
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
        brand = self._brand(escalation.brand)
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
        await self._db(self.ledger.record_safely, event)

    async def _update_card(self, escalation: Escalation) -> None:
        if not escalation.thread_ts:
            return
        text, blocks = escalation_message(
            EscalationCard(**escalation.card),
            status=escalation.status,
            claimed_by=escalation.claimed_by,
            resolved_by=escalation.resolved_by,
        )
        try:
            await self.client.chat_update(
                channel=escalation.slack_channel, ts=escalation.thread_ts, text=text, blocks=blocks
            )
        except (SlackApiError, *NETWORK_ERRORS) as error:
            logger.warning("escalation card %s not updated: %r", escalation.id, error)

    def _brand(self, slug: str) -> Brand | None:
        try:
            return load_brand(slug)
        except BrandError:
            logger.error("unknown brand %r in an escalation", slug)
            return None

    # --- inbound: interactivity -----------------------------------------------------------------

    async def on_interaction(self, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Handle a button or a modal submission; what to answer Slack (None: empty 200)."""
        kind = payload.get("type")
        user = str((payload.get("user") or {}).get("id") or "")
        if kind == "block_actions":
            for action in payload.get("actions") or []:
                escalation = await self._db(self.escalations.get, str(action.get("value") or ""))
                if escalation is None:
                    continue
                action_id = action.get("action_id")
                if action_id == "handoff_claim":
                    self.queues.submit(escalation.id, lambda e=escalation: self.claim(e, user))
                elif action_id == "handoff_resolve":
                    self.queues.submit(escalation.id, lambda e=escalation: self.resolve(e, user))
                elif action_id == "handoff_sale" and payload.get("trigger_id"):
                    brand = self._brand(escalation.brand)
                    try:
                        await self.client.views_open(
                            trigger_id=payload["trigger_id"],
                            view=sale_modal(escalation.id, brand.currency if brand else "EUR"),
                        )
                    except (SlackApiError, *NETWORK_ERRORS) as error:
                        logger.error("sale form not opened for %s: %r", escalation.id, error)
            return None
        if kind == "view_submission":
            try:
                escalation_id, cents, order_id = read_sale_submission(payload.get("view") or {})
            except SaleInputError as error:
                return {"response_action": "errors", "errors": {error.block_id: error.message}}
            escalation = await self._db(self.escalations.get, escalation_id)
            if escalation is not None:
                await self.record_sale(escalation, cents, order_id, user)
            return None
        return None

    # --- Rasa -------------------------------------------------------------------------------------

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = Blueprint("slack_handoff", __name__)

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hook.route("/events", methods=["POST"])
        async def events(request: Request) -> HTTPResponse:
            if not self.verified(request):
                logger.warning("Slack events: invalid or stale signature, refused")
                return response.text("invalid signature", status=401)
            try:
                body = json.loads(request.body or b"")
            except ValueError:
                return response.text("body is not JSON", status=400)
            if body.get("type") == "url_verification":
                return response.json({"challenge": body.get("challenge")})
            if body.get("type") != "event_callback" or not isinstance(body.get("event"), dict):
                return response.text("ignored")
            event_id = str(body.get("event_id") or "")
            first = True
            try:
                if event_id:
                    first = await self._db(self.state.first_delivery, "slack", event_id)
            except StateUnavailable as error:
                logger.error("STATE UNAVAILABLE, Slack event not de-duplicated: %s", error)
            if not first:
                logger.info(
                    "Slack redelivered %s (retry %s): dropped",
                    event_id,
                    request.headers.get("X-Slack-Retry-Num"),
                )
                return response.text("duplicate")
            event = body["event"]
            key = f"{event.get('channel')}:{event.get('thread_ts')}"
            self.queues.submit(key, lambda event=event: self.on_event(event))
            return response.text("ok")

        @hook.route("/interactive", methods=["POST"])
        async def interactive(request: Request) -> HTTPResponse:
            if not self.verified(request):
                logger.warning("Slack interactivity: invalid or stale signature, refused")
                return response.text("invalid signature", status=401)
            try:
                form = parse_qs((request.body or b"").decode("utf-8"))
                payload = json.loads(form["payload"][0])
            except (KeyError, ValueError, UnicodeDecodeError):
                return response.text("no payload", status=400)
            answer = await self.on_interaction(payload)
            return response.json(answer) if answer else response.text("")

        @hook.listener("after_server_start")
        async def start(app: Sanic, _: Any) -> None:
            self.app = app
            try:
                identity = await self.client.auth_test()
                self._bot_user = identity.get("user_id")
            except (SlackApiError, *NETWORK_ERRORS) as error:
                logger.error(
                    "Slack auth.test failed (our own messages are still ignored): %r", error
                )
            self._dispatcher = asyncio.get_running_loop().create_task(self._run_dispatcher())

        @hook.listener("before_server_stop")
        async def stop(*_: Any) -> None:
            if self._dispatcher is not None:
                self._dispatcher.cancel()
            await self.queues.drain()

        return hook
