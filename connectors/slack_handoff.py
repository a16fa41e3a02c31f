"""Slack for community managers: the ``slack_handoff`` channel, what people do in Slack.

* ``POST /webhooks/slack_handoff/events`` (Events API, ``url_verification`` included) and
  ``POST /webhooks/slack_handoff/interactive`` (buttons and the sale modal). Every request is
  checked with ``slack_sdk.signature.SignatureVerifier`` (5-minute window): 401 otherwise.
  Retries are dropped by ``event_id``; messages from bots (ours included) are ignored.
* A reply in an escalation's thread goes to the customer on their channel
  (:mod:`connectors.customer_outputs`; Messenger uses the HUMAN_AGENT tag after 24 h). A reply
  starting with ``note:`` stays in Slack. ``!bot`` or **Résolu** gives the conversation back to
  the bot, which says so. **Je prends** claims it; **Vente conclue** records a sale the person
  made, with its amount.
* The channel starts the dispatcher (:mod:`connectors.slack_dispatcher`), which posts the stored
  escalations and their threads' messages.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs

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

from bot.channels.state import ChannelState, StateUnavailable
from bot.handoff.escalation_records import Escalation
from bot.handoff.escalations import Escalations
from bot.handoff.sale_modal import SaleInputError, read_sale_submission, sale_modal
from bot.keys import problem_with
from bot.sales.ledger import EventKind, FunnelEvent, Ledger
from bot.settings import get_settings
from connectors.customer_outputs import CannotReachCustomer, output_for, send_human_text
from connectors.messenger import OutsideMessagingWindow
from connectors.ordered_tasks import SenderQueues
from connectors.slack_dispatcher import (
    NETWORK_ERRORS,
    TICK_S,
    SlackDispatcher,
    card_message,
    escalation_brand,
)

logger = logging.getLogger(__name__)

CHANNEL = "slack_handoff"
DEFAULT_API_URL = "https://slack.com/api/"
RESUME_ACTION = "action_handoff_resume"
SLACK_TIMEOUT_S = 10
NOTE_PREFIX = "note:"
BOT_COMMAND = "!bot"


def _seconds_since(start: datetime | None) -> float | None:
    return (datetime.now(timezone.utc) - start).total_seconds() if start else None


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
        self.dispatcher = SlackDispatcher(self.client, self.escalations, tick_s)
        self.app: Sanic | None = None
        self._dispatch_task: asyncio.Task | None = None
        self._bot_user: str | None = None

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
        escalation = await asyncio.to_thread(self.escalations.by_thread, channel, thread_ts)
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
        await self._log_human_message(escalation.conversation_id, text, user)
        if await asyncio.to_thread(self.escalations.first_reply, escalation.id):
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

    # --- inbound: interactivity -----------------------------------------------------------------

    async def on_interaction(self, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Handle a button or a modal submission; what to answer Slack (None: empty 200)."""
        kind = payload.get("type")
        user = str((payload.get("user") or {}).get("id") or "")
        if kind == "block_actions":
            for action in payload.get("actions") or []:
                escalation = await asyncio.to_thread(
                    self.escalations.get, str(action.get("value") or "")
                )
                if escalation is None:
                    continue
                action_id = action.get("action_id")
                if action_id == "handoff_claim":
                    self.queues.submit(escalation.id, lambda e=escalation: self.claim(e, user))
                elif action_id == "handoff_resolve":
                    self.queues.submit(escalation.id, lambda e=escalation: self.resolve(e, user))
                elif action_id == "handoff_sale" and payload.get("trigger_id"):
                    brand = escalation_brand(escalation.brand)
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
                return error.slack_response()
            escalation = await asyncio.to_thread(self.escalations.get, escalation_id)
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
                    first = await asyncio.to_thread(self.state.first_delivery, "slack", event_id)
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
            self._dispatch_task = asyncio.get_running_loop().create_task(self.dispatcher.run())

        @hook.listener("before_server_stop")
        async def stop(*_: Any) -> None:
            if self._dispatch_task is not None:
                self._dispatch_task.cancel()
            await self.queues.drain()

        return hook
