"""Slack for community managers: the ``slack_handoff`` channel, Slack's requests at the door.

* ``POST /webhooks/slack_handoff/events`` (Events API, ``url_verification`` included) and
  ``POST /webhooks/slack_handoff/interactive`` (buttons and the sale form). Bodies over 1 MB get
  413 before they are read; the signature (Slack's ``v0``, 5-minute window, constant time) is
  checked on the raw bytes before anything is decoded: 401 otherwise; a body that is not what
  Slack sends gets 400.
* A person's reply in a thread and the **Je prends** / **Résolu** buttons are stored in the
  inbox (:mod:`bot.channels.inbox`) before the 200 (503 if they cannot be), then carried out by
  :class:`connectors.slack_desk.SlackDesk`, after a crash too; Slack's retries are stored once.
  Messages from bots (ours included) are ignored. **Vente conclue** opens the sale form at once
  (Slack's trigger lasts 3 seconds), and a submitted form is recorded before Slack gets its answer.
* The channel starts the dispatcher (:mod:`connectors.slack_dispatcher`), which posts the stored
  escalations and their threads' messages.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.inbox import Delivery, Inbox, NewDelivery
from bot.channels.inbox_door import InboxDoor
from bot.channels.state import ChannelState, StateUnavailable
from bot.handoff.escalations import Escalations
from bot.handoff.sale_modal import SaleInputError, read_sale_submission
from bot.handoff.slack_blocks import ACTION_CLAIM, ACTION_RESOLVE, ACTION_SALE
from bot.keys import problem_with
from bot.sales.ledger import Ledger
from bot.settings import get_settings
from connectors.delivery_worker import DeliveryWorker
from connectors.payloads import (
    STRING,
    PayloadError,
    Schema,
    array_of,
    decode_json,
    object_of,
    read_body,
    same_signature,
    timestamp_is_fresh,
)
from connectors.slack_desk import SlackDesk, is_person_reply
from connectors.slack_dispatcher import NETWORK_ERRORS, TICK_S, SlackDispatcher

logger = logging.getLogger(__name__)

CHANNEL = "slack_handoff"
DEFAULT_API_URL = "https://slack.com/api/"
SLACK_TIMEOUT_S = 10
MAX_BODY_BYTES = 1024 * 1024
TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
SIGNATURE_HEADER = "X-Slack-Signature"
EVENT_FIELDS = ("type", "subtype", "user", "bot_id", "text", "channel", "thread_ts", "ts")

EVENT_SCHEMA = Schema(
    "Slack event",
    object_of(
        {
            "type": STRING,
            "challenge": STRING,
            "event_id": STRING,
            "event": object_of({field: STRING for field in EVENT_FIELDS}),
        },
        required=("type",),
    ),
)
_INPUTS = {"type": "object", "additionalProperties": {"type": "object"}}
INTERACTION_SCHEMA = Schema(
    "Slack interaction",
    object_of(
        {
            "type": STRING,
            "trigger_id": STRING,
            "user": object_of({"id": STRING}),
            "actions": array_of(
                object_of({"action_id": STRING, "value": STRING, "action_ts": STRING}), 25
            ),
            "view": object_of(
                {
                    "callback_id": STRING,
                    "private_metadata": STRING,
                    "state": object_of(
                        {"values": {"type": "object", "additionalProperties": _INPUTS}}
                    ),
                }
            ),
        },
        required=("type",),
    ),
)


def signature_is_valid(
    secret: bytes, timestamp: str | None, signature: str | None, body: bytes, now: float
) -> bool:
    """Slack's ``v0`` signature of the raw ``body``, within 5 minutes, compared in constant time.

    Computed on the bytes: ``slack_sdk``'s verifier decodes the body first, which fails on
    invalid UTF-8 before anything is verified.
    """
    if not timestamp_is_fresh(timestamp, now):
        return False
    signed = b"v0:" + timestamp.encode("utf-8") + b":" + body
    return same_signature("v0=" + hmac.new(secret, signed, hashlib.sha256).hexdigest(), signature)


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
        clock: Callable[[], float] = time.time,
    ) -> None:
        # No built-in retries: a retried chat.postMessage could post a second thread; the
        # dispatcher retries itself, and checks the channel's history after a timeout.
        self.client = AsyncWebClient(
            token=bot_token, base_url=api_url, timeout=timeout_s, retry_handlers=[]
        )
        self.secret = signing_secret.encode("utf-8")
        self.clock = clock
        settings = get_settings()
        self.escalations = Escalations.from_env(settings.var_dir)
        self.state = ChannelState.from_env(settings.var_dir)
        self.inbox = Inbox(self.state)
        self.door = InboxDoor(self.inbox)
        self.desk = SlackDesk(self.client, self.escalations, Ledger.from_env(settings.var_dir))
        self.worker = DeliveryWorker(CHANNEL, self.inbox, self._handle)
        self.dispatcher = SlackDispatcher(self.client, self.escalations, tick_s)
        self._dispatch_task: asyncio.Task | None = None

    # --- at the door --------------------------------------------------------------------------

    def _signed(self, headers: dict[str, str | None], body: bytes) -> bool:
        return signature_is_valid(
            self.secret,
            headers.get(TIMESTAMP_HEADER),
            headers.get(SIGNATURE_HEADER),
            body,
            self.clock(),
        )

    async def _store(self, deliveries: list[NewDelivery]) -> int:
        """Store and run; how many were new. Raises StateUnavailable."""
        stored = await self.door.store(deliveries)
        for row in stored:
            self.worker.submit(row)
        return len(stored)

    async def receive_event(self, headers: dict[str, str | None], body: bytes) -> tuple[int, Any]:
        """Status and answer (a dict is JSON) for one Events API request."""
        if not self._signed(headers, body):
            logger.warning("Slack events: invalid or stale signature, refused")
            return 401, "invalid signature"
        try:
            data = EVENT_SCHEMA.check(decode_json(body))
        except PayloadError as error:
            logger.warning("Slack events: refused, %s", error)
            return 400, str(error)
        if data["type"] == "url_verification":
            return 200, {"challenge": data.get("challenge")}
        event = data.get("event")
        if (
            data["type"] != "event_callback"
            or not event
            or not is_person_reply(event, self.desk.bot_user)
        ):
            return 200, "ignored"
        # Events without an id are not de-duplicated together.
        event_id = data.get("event_id") or f"no-id-{uuid.uuid4().hex}"
        delivery = NewDelivery(
            CHANNEL,
            f"event:{event_id}",
            f"thread:{event['channel']}:{event['thread_ts']}",
            {"event": {field: event.get(field) for field in EVENT_FIELDS}},
        )
        try:
            new = await self._store([delivery])
        except StateUnavailable as error:
            logger.error("STATE UNAVAILABLE, Slack event not acknowledged: %s", error)
            return 503, "temporarily unavailable, retry"
        if not new:
            logger.info("Slack redelivered %s: already stored", event_id)
            return 200, "duplicate"
        return 200, "ok"

    async def receive_interaction(
        self, headers: dict[str, str | None], body: bytes
    ) -> tuple[int, Any]:
        """Status and answer (a dict is JSON, None an empty 200) for one interactivity request."""
        if not self._signed(headers, body):
            logger.warning("Slack interactivity: invalid or stale signature, refused")
            return 401, "invalid signature"
        try:
            form = parse_qs(body.decode("utf-8"), max_num_fields=20)
            payload = INTERACTION_SCHEMA.check(decode_json(form["payload"][0].encode("utf-8")))
        except PayloadError as error:
            logger.warning("Slack interactivity: refused, %s", error)
            return 400, str(error)
        except (KeyError, IndexError, ValueError):  # UnicodeDecodeError included
            logger.warning("Slack interactivity: refused, no payload field")
            return 400, "no payload"
        try:
            return 200, await self.on_interaction(payload)
        except StateUnavailable as error:
            logger.error("STATE UNAVAILABLE, Slack action not acknowledged: %s", error)
            return 503, "temporarily unavailable, retry"

    # --- interactivity ------------------------------------------------------------------------

    async def on_interaction(self, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Handle a checked button press or form submission; what to answer Slack (None: an
        empty 200). Raises StateUnavailable if a button press cannot be stored."""
        kind = payload.get("type")
        user = str((payload.get("user") or {}).get("id") or "")
        if kind == "block_actions":
            presses = []
            for action in payload.get("actions") or []:
                action_id, value = action.get("action_id"), str(action.get("value") or "")
                if action_id in (ACTION_CLAIM, ACTION_RESOLVE):
                    pressed_at = action.get("action_ts") or uuid.uuid4().hex
                    presses.append(
                        NewDelivery(
                            CHANNEL,
                            f"action:{pressed_at}:{action_id}:{value}",
                            f"escalation:{value}",
                            {"action": action_id, "escalation": value, "user": user},
                        )
                    )
                elif action_id == ACTION_SALE and payload.get("trigger_id"):
                    escalation = await asyncio.to_thread(self.escalations.get, value)
                    if escalation is not None:
                        await self.desk.open_sale_form(escalation, payload["trigger_id"])
            if presses:
                await self._store(presses)
            return None
        if kind == "view_submission":
            try:
                escalation_id, cents, order_id = read_sale_submission(payload.get("view") or {})
            except SaleInputError as error:
                return error.slack_response()
            except ValueError as error:
                logger.warning("Slack view submission ignored: %s", error)
                return None
            escalation = await asyncio.to_thread(self.escalations.get, escalation_id)
            if escalation is not None:
                await self.desk.record_sale(escalation, cents, order_id, user)
            return None
        return None

    async def _handle(self, delivery: Delivery) -> None:
        """Carry out one stored reply or button press."""
        payload = delivery.payload
        if "event" in payload:
            await self.desk.on_event(payload["event"], retaken=delivery.retaken)
            return
        escalation = await asyncio.to_thread(self.escalations.get, payload["escalation"])
        if escalation is None:
            return
        if payload["action"] == ACTION_CLAIM:
            await self.desk.claim(escalation, payload["user"])
        elif payload["action"] == ACTION_RESOLVE:
            await self.desk.resolve(escalation, payload["user"])

    # --- Rasa -------------------------------------------------------------------------------------

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = Blueprint("slack_handoff", __name__)

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        async def answer(request: Request, receive: Callable[..., Any]) -> HTTPResponse:
            body = await read_body(request, MAX_BODY_BYTES)
            if body is None:
                logger.warning("Slack: body over %s bytes, refused", MAX_BODY_BYTES)
                return response.text("body too large", status=413)
            headers = {
                name: request.headers.get(name) for name in (TIMESTAMP_HEADER, SIGNATURE_HEADER)
            }
            status, content = await receive(headers, body)
            if isinstance(content, dict):
                return response.json(content, status=status)
            return response.text(content or "", status=status)

        @hook.route("/events", methods=["POST"], stream=True)
        async def events(request: Request) -> HTTPResponse:
            return await answer(request, self.receive_event)

        @hook.route("/interactive", methods=["POST"], stream=True)
        async def interactive(request: Request) -> HTTPResponse:
            return await answer(request, self.receive_interaction)

        @hook.listener("after_server_start")
        async def start(app: Sanic, _: Any) -> None:
            self.desk.agent = getattr(app.ctx, "agent", None)
            try:
                identity = await self.client.auth_test()
                self.desk.bot_user = identity.get("user_id")
            except (SlackApiError, *NETWORK_ERRORS) as error:
                logger.error(
                    "Slack auth.test failed (our own messages are still ignored): %r", error
                )
            await self.worker.start()
            self._dispatch_task = asyncio.get_running_loop().create_task(self.dispatcher.run())

        @hook.listener("before_server_stop")
        async def stop(*_: Any) -> None:
            await self.worker.stop()
            if self._dispatch_task is not None:
                self._dispatch_task.cancel()

        return hook
