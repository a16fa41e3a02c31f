"""Facebook Messenger: the ``messenger`` channel at ``/webhooks/messenger/webhook``.

Inbound (``MessengerInput``):

* ``GET``: the subscription handshake; 403 unless ``hub.verify_token`` is ours.
* ``POST``: 403 unless ``X-Hub-Signature-256`` is the HMAC-SHA256 of the raw body with the app
  secret (constant-time compare). Then 200 at once: every messaging event of every entry is
  processed in the background, in order per customer (:class:`SenderQueues`).
* Each customer message is stored in the inbox before the 200 (:mod:`bot.channels.inbox`; a
  503 if it cannot be), so nothing acknowledged is lost; a redelivered ``mid`` is stored once.
  Echoes, delivery and read receipts are ignored; a body that is not a delivery gets 400.
* What a customer message means to Rasa is read in :mod:`connectors.messenger_events`.

Outbound (``MessengerOutput``): Send API through :class:`GraphApi`, ``messaging_type: RESPONSE``
within 24 hours of the customer's last message; a human agent's message
(:meth:`MessengerOutput.send_human_agent_text`) may use the ``HUMAN_AGENT`` tag up to 7 days.
Anything later is refused with an error log (:class:`OutsideMessagingWindow`).

Several pages, each with its brand: :mod:`connectors.messenger_config`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import os
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.state import ChannelState, StateUnavailable
from bot.keys import pseudonym
from bot.settings import get_settings
from connectors.buttons import ButtonSeal
from connectors.customer_text import split_text
from connectors.graph_api import GraphApi, GraphApiError
from connectors.messenger_config import MessengerConfig, Page
from connectors.messenger_events import CHANNEL, Incoming, parse_sender_id, read_delivery
from connectors.payloads import PayloadError, decode_json, same_signature
from connectors.webhook_blueprint import Webhook, webhook_blueprint

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Hub-Signature-256"
MAX_BODY_BYTES = 1024 * 1024
MAX_TEXT = 2000
MAX_QUICK_REPLIES = 13
MAX_QUICK_REPLY_TITLE = 20
MAX_BUTTON_TEMPLATE_TEXT = 640
MAX_PAYLOAD = 1000
RESPONSE_WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)


class OutsideMessagingWindow(RuntimeError):
    """Messenger does not allow this send any more: the customer wrote too long ago."""


# --- signatures ----------------------------------------------------------------------


def sign(app_secret: bytes, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value Facebook sends for ``body``."""
    return "sha256=" + hmac.new(app_secret, body, hashlib.sha256).hexdigest()


def signature_is_valid(app_secret: bytes, header: str | None, body: bytes) -> bool:
    return same_signature(sign(app_secret, body), header)


# --- outbound --------------------------------------------------------------------------------


def _quick_reply_title(title: str) -> str:
    title = " ".join(str(title).split())
    return (
        title if len(title) <= MAX_QUICK_REPLY_TITLE else title[: MAX_QUICK_REPLY_TITLE - 1] + "…"
    )


class MessengerOutput(OutputChannel):
    """Sends to one page's customers through the Send API."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    def __init__(self, page: Page, graph: GraphApi, state: ChannelState, seal: ButtonSeal) -> None:
        self.page = page
        self.graph = graph
        self.state = state
        self.seal = seal

    # window

    async def _last_message(self, recipient_id: str) -> datetime | None:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            None, self.state.last_customer_message, CHANNEL, pseudonym(recipient_id)
        )

    async def _messaging(self, recipient_id: str, human_agent: bool) -> dict[str, str]:
        """The ``messaging_type`` (and tag) this send may use; raises OutsideMessagingWindow."""
        try:
            last = await self._last_message(recipient_id)
        except StateUnavailable:
            logger.error("state database unavailable: sending without checking the 24 h window")
            return {"messaging_type": "RESPONSE"}
        age = datetime.now(timezone.utc) - last if last else None
        if age is not None and age <= RESPONSE_WINDOW:
            return {"messaging_type": "RESPONSE"}
        if human_agent and age is not None and age <= HUMAN_AGENT_WINDOW:
            return {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}
        window = "7 days (HUMAN_AGENT)" if human_agent else "24 hours"
        since = f"{age.total_seconds() / 3600:.0f} h ago" if age else "never"
        logger.error(
            "MESSENGER SEND REFUSED: the customer last wrote %s, outside the %s window; "
            "the message was not sent (page %s)",
            since,
            window,
            self.page.page_id,
        )
        raise OutsideMessagingWindow(f"customer last wrote {since}; window is {window}")

    async def _send(
        self, recipient_id: str, message: dict[str, Any], human_agent: bool = False
    ) -> None:
        _, psid = parse_sender_id(recipient_id)
        messaging = await self._messaging(recipient_id, human_agent)
        body = {"recipient": {"id": psid}, **messaging, "message": message}
        await self.graph.send(self.page.access_token, body)

    # Rasa's OutputChannel interface

    async def _reply(self, recipient_id: str, messages: list[dict[str, Any]]) -> None:
        """Bot replies, in order. A failure is logged, not raised: the turn goes on and Rasa
        saves the conversation."""
        for number, message in enumerate(messages, start=1):
            try:
                await self._send(recipient_id, message)
            except OutsideMessagingWindow:
                return  # logged by _messaging
            except GraphApiError as error:
                logger.error(
                    "MESSENGER SEND FAILED on page %s, %s of %s messages not sent: %s",
                    self.page.page_id,
                    len(messages) - number + 1,
                    len(messages),
                    error,
                )
                return

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._reply(recipient_id, [{"text": part} for part in split_text(text, MAX_TEXT)])

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        links = [b for b in buttons if b.get("url")]
        if links and len(buttons) <= 3 and len(text) <= MAX_BUTTON_TEMPLATE_TEXT:
            await self._reply(recipient_id, [self._button_template(text, buttons)])
            return
        extra = "".join(f"\n{b.get('title', '')} : {b['url']}" for b in links)
        replies = [b for b in buttons if not b.get("url")]
        await self.send_quick_replies(recipient_id, text + extra, replies)

    async def send_quick_replies(
        self, recipient_id: str, text: str, quick_replies: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        messages: list[dict[str, Any]] = [
            {"text": part} for part in split_text(text, MAX_TEXT) or ["…"]
        ]
        replies = self._quick_replies(quick_replies)
        if replies:
            messages[-1]["quick_replies"] = replies
        await self._reply(recipient_id, messages)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        attachment = {"type": "image", "payload": {"url": image, "is_reusable": True}}
        await self._reply(recipient_id, [{"attachment": attachment}])

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        await self._reply(recipient_id, [json_message])

    # beyond Rasa's interface

    async def send_human_agent_text(self, recipient_id: str, text: str) -> None:
        """A community manager's message: RESPONSE within 24 h, HUMAN_AGENT tag up to 7 days.

        Raises OutsideMessagingWindow (after an error log) when the customer wrote earlier, and
        GraphApiError when Facebook refused or kept failing: the caller must know.
        """
        for part in split_text(text, MAX_TEXT):
            await self._send(recipient_id, {"text": part}, human_agent=True)

    async def send_typing(self, recipient_id: str, on: bool = True) -> None:
        """Typing indicator; a failure only logs (it is a courtesy)."""
        _, psid = parse_sender_id(recipient_id)
        body = {"recipient": {"id": psid}, "sender_action": "typing_on" if on else "typing_off"}
        try:
            await self.graph.send(self.page.access_token, body)
        except GraphApiError as error:
            logger.warning("typing indicator not sent: %s", error)

    def _quick_replies(self, buttons: Iterable[dict[str, Any]]) -> list[dict[str, str]]:
        replies = []
        for button in list(buttons)[:MAX_QUICK_REPLIES]:
            sealed = self.seal.seal(str(button.get("payload") or ""), MAX_PAYLOAD)
            if sealed is None:
                continue
            replies.append(
                {
                    "content_type": "text",
                    "title": _quick_reply_title(button.get("title", "")),
                    "payload": sealed,
                }
            )
        return replies

    def _button_template(self, text: str, buttons: list[dict[str, Any]]) -> dict[str, Any]:
        items = []
        for button in buttons:
            title = _quick_reply_title(button.get("title", ""))
            if button.get("url"):
                items.append({"type": "web_url", "url": button["url"], "title": title})
            else:
                sealed = self.seal.seal(str(button.get("payload") or ""), MAX_PAYLOAD)
                if sealed:
                    items.append({"type": "postback", "title": title, "payload": sealed})
        template = {"template_type": "button", "text": text, "buttons": items}
        return {"attachment": {"type": "template", "payload": template}}


# --- the channel -----------------------------------------------------------------------------


class MessengerInput(InputChannel):
    """Custom channel ``messenger`` (credentials.yml: ``connectors.messenger.MessengerInput``)."""

    MAX_BODY_BYTES = MAX_BODY_BYTES

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> MessengerInput:
        credentials = credentials or {}
        try:
            config = MessengerConfig.from_values(
                str(credentials.get("page_id") or ""),
                str(credentials.get("page_access_token") or ""),
                str(credentials.get("app_secret") or ""),
                str(credentials.get("verify_token") or ""),
                os.environ.get("MESSENGER_GRAPH_URL") or None,
            )
        except ValueError as error:
            raise ValueError(f"Messenger channel not configured: {error} (see README)") from error
        return cls(config)

    def __init__(self, config: MessengerConfig, state: ChannelState | None = None) -> None:
        self.config = config
        self.graph = GraphApi(config.graph_url)
        self.state = state or ChannelState.from_env(get_settings().var_dir)
        self.seal = ButtonSeal(config.app_secret, CHANNEL)
        self.webhook: Webhook | None = None

    def output_for(self, page_id: str) -> MessengerOutput:
        """The output channel of one of our pages; KeyError if it is not ours."""
        return MessengerOutput(self.config.pages[page_id], self.graph, self.state, self.seal)

    def get_output_channel(self) -> OutputChannel | None:
        # Rasa's "push a message" API: the first page (a conversation id names its page,
        # so other pages go through output_for).
        first = next(iter(self.config.pages.values()), None)
        return self.output_for(first.page_id) if first else None

    def accept(
        self, headers: dict[str, str | None], body: bytes
    ) -> tuple[int, str, list[Incoming]]:
        """Status, answer text and the customer messages of one POST (no side effect)."""
        if len(body) > MAX_BODY_BYTES:
            return 413, "body too large", []
        if not signature_is_valid(self.config.app_secret, headers.get(SIGNATURE_HEADER), body):
            logger.warning("Messenger webhook: missing or invalid signature, request refused")
            return 403, "invalid signature", []
        try:
            messages = read_delivery(decode_json(body), self.seal)
        except PayloadError as error:
            logger.warning("Messenger webhook: refused, %s", error)
            return 400, str(error), []
        return 200, "EVENT_RECEIVED", messages

    def incoming_from(self, payload: dict[str, Any]) -> Incoming:
        return Incoming.from_payload(payload)

    async def process(
        self, incoming: Incoming, run_turn: Callable[[UserMessage], Awaitable[Any]]
    ) -> None:
        """Hand one stored customer message to Rasa (unless its page is not served here)."""
        page = self.config.pages.get(incoming.page_id)
        if page is None:
            logger.error("message for page %s, which has no token here: ignored", incoming.page_id)
            return
        try:
            await self.state.write(
                self.state.note_customer_message,
                CHANNEL,
                pseudonym(incoming.sender_id),
                incoming.sent_at,
            )
        except StateUnavailable as error:
            logger.error("STATE UNAVAILABLE, last message time not recorded: %s", error)
        output = self.output_for(page.page_id)
        await output.send_typing(incoming.sender_id)
        metadata = {**incoming.metadata, "brand": page.brand, "page_id": page.page_id}
        await run_turn(
            UserMessage(
                incoming.text,
                output,
                incoming.sender_id,
                input_channel=CHANNEL,
                metadata=metadata,
            )
        )

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        self.webhook = Webhook(self, on_new_message)
        hook = webhook_blueprint(
            "messenger_webhook",
            self.webhook,
            SIGNATURE_HEADER,
            open_client=self.graph.warm_up,
            close_client=self.graph.close,
        )

        @hook.route("/webhook", methods=["GET"])
        async def handshake(request: Request) -> HTTPResponse:
            token = request.args.get("hub.verify_token") or ""
            if request.args.get("hub.mode") == "subscribe" and hmac.compare_digest(
                token.encode("utf-8"), self.config.verify_token.encode("utf-8")
            ):
                return response.text(request.args.get("hub.challenge") or "")
            logger.warning("Messenger subscription handshake refused: wrong verify token")
            return response.text("forbidden", status=403)

        return hook
