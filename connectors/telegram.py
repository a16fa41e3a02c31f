"""Telegram: the ``telegram`` channel at ``/webhooks/telegram/webhook``.

Inbound (``TelegramInput``):

* ``POST``: 403 unless ``X-Telegram-Bot-Api-Secret-Token`` is our secret token (constant-time
  compare; Telegram sends it because :func:`bot.telegram_setup.set_webhook` registered it).
  Then 200 at once: the update is processed in the background, in order per chat
  (:class:`SenderQueues`). A redelivered ``update_id`` is dropped
  (:class:`bot.channel_state.ChannelState`, shared by all workers).
* ``/start`` (deep links included) is ``greet``, ``/help`` is ``help``; any other text is text
  (:func:`as_customer_text`), so ``/restart`` typed by a customer drives nothing. A button press
  becomes an intent only when it carries our seal (:class:`ButtonSeal`); every press is answered
  so the customer's spinner stops. Attachments become ``send_attachment``; the 👍 sticker is
  ``affirm``. Edited messages, channel posts and the rest are ignored.

Outbound (``TelegramOutput``): the Bot API through python-telegram-bot (:class:`TelegramApi`):
texts cut at 4096 characters, buttons as an inline keyboard. Every call has a timeout; flood
control (429) and network errors are retried a bounded number of times, then logged.

One bot per deployment: ``TELEGRAM_BOT_TOKEN``, ``TELEGRAM_SECRET_TOKEN``, and
``TELEGRAM_API_URL`` (tests point it at a fake). Its conversations use the default brand.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint
from telegram import (
    Bot,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ChatAction
from telegram.error import (
    BadRequest,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.warnings import PTBDeprecationWarning

from bot.channel_state import ChannelState, StateUnavailable
from bot.settings import get_settings
from bot.telegram_setup import (
    DEFAULT_API_URL,
    TELEGRAM_API_URL,
    TIMEOUT_S,
    api_url_from_env,
    check_credentials,
    check_url,
    make_bot,
    redact,
)
from connectors.buttons import ButtonSeal
from connectors.customer_text import as_customer_text, split_text
from connectors.ordered_tasks import SenderQueues
from connectors.webhook_blueprint import webhook_blueprint

logger = logging.getLogger(__name__)

T = TypeVar("T")

CHANNEL = "telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY_BYTES = 1024 * 1024
MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64  # bytes
MAX_RETRY_AFTER_S = 30.0
ATTACHMENT_INTENT = "/send_attachment"
AFFIRM_INTENT = "/affirm"
GREET_INTENT = "/greet"
HELP_INTENT = "/help"
COMMANDS = {"start": GREET_INTENT, "help": HELP_INTENT}
LIKE_EMOJI = "👍"
# Message fields that carry an attachment; "animation" first, as a GIF also fills "document".
ATTACHMENT_KINDS = (
    "animation",
    "photo",
    "video",
    "video_note",
    "voice",
    "audio",
    "document",
    "location",
    "contact",
    "sticker",
)
_DEEP_LINK = re.compile(r"[A-Za-z0-9_-]{1,64}")


# --- configuration ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TelegramConfig:
    """The bot we answer for, and the brand whose catalogue and voice it uses."""

    bot_token: str = field(repr=False)
    secret_token: str = field(repr=False)
    api_url: str
    brand: str

    @classmethod
    def from_values(
        cls, bot_token: str, secret_token: str, api_url: str | None = None
    ) -> TelegramConfig:
        """Validate the values of the environment; raise ValueError with what is wrong."""
        bot_token, secret_token = check_credentials(bot_token, secret_token)
        return cls(
            bot_token=bot_token,
            secret_token=secret_token,
            api_url=check_url(api_url or DEFAULT_API_URL, TELEGRAM_API_URL),
            brand=get_settings().default_brand,
        )


# --- secret and ids --------------------------------------------------------------------------


def secret_is_valid(secret_token: str, header: str | None) -> bool:
    """Whether ``header`` is our webhook secret token (constant-time compare)."""
    if not header:
        return False
    return hmac.compare_digest(header.encode("utf-8"), secret_token.encode("utf-8"))


def sender_id_for(chat_id: int) -> str:
    """The Rasa conversation id of a Telegram chat."""
    return f"{CHANNEL}:{chat_id}"


def parse_sender_id(sender_id: str) -> int:
    """The chat id of a Rasa conversation id built by :func:`sender_id_for`."""
    channel, _, chat = sender_id.partition(":")
    try:
        if channel == CHANNEL:
            return int(chat)
    except ValueError:
        pass
    raise ValueError(f"{sender_id!r} is not a Telegram conversation id")


# --- inbound updates -------------------------------------------------------------------------


@dataclass(frozen=True)
class Incoming:
    """One update to handle: a customer message for Rasa, a button press to answer, or both.

    ``text`` is None for a button press that is not ours: it is answered, nothing else.
    """

    update_id: int
    chat_id: int
    text: str | None
    metadata: dict[str, Any]
    callback_query_id: str | None = None

    @property
    def sender_id(self) -> str:
        return sender_id_for(self.chat_id)

    @property
    def delivery_id(self) -> str:
        return str(self.update_id)


def _command(text: str) -> tuple[str | None, str]:
    """(intent, argument) of ``/start``, ``/start@OurBot payload``, ``/help``; else (None, "")."""
    first, *rest = text.split(maxsplit=1)
    if not first.startswith("/"):
        return None, ""
    name = first[1:].partition("@")[0].lower()
    return COMMANDS.get(name), rest[0].strip() if rest else ""


def _attachment_kind(message: Message) -> str | None:
    for kind in ATTACHMENT_KINDS:
        if getattr(message, kind, None):
            return kind
    return None


def read_message(update_id: int, message: Message) -> Incoming | None:
    """The customer message of a ``message`` update, or None if it is nothing for Rasa."""
    base = {"update_id": update_id, "chat_id": message.chat.id}
    # The name the customer chose on Telegram, shown to community managers (escaped there).
    who = {"display_name": message.from_user.full_name[:64]} if message.from_user else {}
    text = message.text
    if text and text.strip():
        intent, argument = _command(text)
        if intent is None:
            return Incoming(**base, text=as_customer_text(text), metadata=who)
        metadata = {"start_payload": argument} if _DEEP_LINK.fullmatch(argument) else {}
        return Incoming(**base, text=intent, metadata={**metadata, **who})
    sticker = message.sticker
    if sticker is not None and (sticker.emoji or "").startswith(LIKE_EMOJI):
        return Incoming(**base, text=AFFIRM_INTENT, metadata=who)
    kind = _attachment_kind(message)
    if kind is not None:
        metadata = {"attachments": [{"type": kind, "url": ""}]}
        return Incoming(**base, text=ATTACHMENT_INTENT, metadata={**metadata, **who})
    logger.debug("Telegram update %s: a message without text or attachment, ignored", update_id)
    return None


def read_callback(update_id: int, query: CallbackQuery, seal: ButtonSeal) -> Incoming:
    """A button press: our payload if the seal is ours, else nothing but the answer."""
    chat_id = query.message.chat.id if query.message is not None else query.from_user.id
    payload = seal.open(query.data)
    if payload is None:
        logger.warning(
            "Telegram update %s: button data without our seal (old, foreign or forged), "
            "answered and ignored",
            update_id,
        )
    return Incoming(update_id, chat_id, payload, {}, callback_query_id=query.id)


def read_update(update: Update, seal: ButtonSeal) -> Incoming | None:
    """What there is to handle in one update, or None (edits, channel posts, the rest)."""
    if update.message is not None:
        return read_message(update.update_id, update.message)
    if update.callback_query is not None:
        return read_callback(update.update_id, update.callback_query, seal)
    logger.debug("Telegram update %s is neither a message nor a button: ignored", update.update_id)
    return None


# --- the Bot API -----------------------------------------------------------------------------


def _retry_after_s(error: RetryAfter) -> float:
    with warnings.catch_warnings():  # an int until PTB_TIMEDELTA, a timedelta after
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class TelegramApi:
    """The Bot API through python-telegram-bot, with bounded retries; one per process."""

    def __init__(
        self,
        bot_token: str,
        api_url: str = DEFAULT_API_URL,
        timeout_s: float = TIMEOUT_S,
        attempts: int = 3,
        backoff_s: float = 0.5,
        max_retry_after_s: float = MAX_RETRY_AFTER_S,
    ) -> None:
        self._token = bot_token
        self.api_url = api_url
        self.timeout_s = timeout_s
        self.attempts = max(1, attempts)
        self.backoff_s = backoff_s
        self.max_retry_after_s = max_retry_after_s
        self._bot: Bot | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def bot(self) -> Bot:
        """The library's Bot (its connection pool belongs to the event loop it first ran on)."""
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if self._bot is None or (loop is not None and self._loop is not loop):
            self._bot = make_bot(self._token, self.api_url, self.timeout_s)
            self._loop = loop
        return self._bot

    async def call(
        self,
        method: str,
        request: Callable[[Bot], Awaitable[T]],
        attempts: int | None = None,
        failure_level: int = logging.ERROR,
    ) -> T | None:
        """``request(bot)``'s answer; None, after a log at ``failure_level``, if it failed.

        Flood control (429) waits the ``retry_after`` Telegram asks for, unless it is longer
        than ``max_retry_after_s`` (then we give up); network errors and timeouts back off
        exponentially. At most ``attempts`` calls in all.
        """
        attempts = max(1, attempts or self.attempts)
        reason = "no attempt made"
        for attempt in range(1, attempts + 1):
            try:
                return await request(self.bot())
            except RetryAfter as error:
                wait = _retry_after_s(error)
                reason = f"flood control, retry after {wait:g} s"
                if wait > self.max_retry_after_s:
                    break
            except BadRequest as error:  # a NetworkError subclass, but retrying cannot help
                logger.log(failure_level, "Telegram refused %s: %s", method, self._safe(error))
                return None
            except Forbidden as error:
                logger.log(
                    failure_level,
                    "Telegram %s forbidden (the customer blocked the bot?): %s",
                    method,
                    self._safe(error),
                )
                return None
            except NetworkError as error:  # TimedOut included
                wait = self.backoff_s * 2 ** (attempt - 1)
                reason = f"{type(error).__name__}: {self._safe(error)}"
            except TelegramError as error:  # InvalidToken, ChatMigrated, ...
                logger.log(
                    failure_level,
                    "Telegram %s failed: %s: %s",
                    method,
                    type(error).__name__,
                    self._safe(error),
                )
                return None
            if attempt < attempts:
                logger.warning(
                    "Telegram %s attempt %s/%s failed (%s); retrying in %.1f s",
                    method,
                    attempt,
                    attempts,
                    reason,
                    wait,
                )
                await asyncio.sleep(wait)
        logger.log(failure_level, "Telegram %s not done, giving up: %s", method, reason)
        return None

    def _safe(self, error: Exception) -> str:
        return redact(str(error), self._token)

    async def close(self) -> None:
        """Close the connection pool (``Bot.shutdown`` only closes an initialized Bot)."""
        if self._bot is not None:
            await self._bot.request.shutdown()
            self._bot = None


# --- outbound --------------------------------------------------------------------------------


class TelegramOutput(OutputChannel):
    """Sends to Telegram chats through the Bot API."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    def __init__(self, api: TelegramApi, seal: ButtonSeal) -> None:
        self.api = api
        self.seal = seal

    async def _send_text(
        self,
        recipient_id: str,
        text: str,
        reply_markup: InlineKeyboardMarkup | None = None,
    ) -> None:
        """``text`` in parts of at most 4096 characters; the keyboard goes with the last part."""
        chat_id = parse_sender_id(recipient_id)
        parts = split_text(text, MAX_TEXT)
        if not parts:
            logger.error("Telegram cannot send an empty text (chat %s): nothing sent", chat_id)
            return
        for number, part in enumerate(parts, start=1):
            markup = reply_markup if number == len(parts) else None
            sent = await self.api.call(
                "sendMessage",
                lambda bot, part=part, markup=markup: bot.send_message(
                    chat_id, part, reply_markup=markup
                ),
            )
            if sent is None:
                if number < len(parts):
                    logger.error(
                        "Telegram text cut short: %s of %s parts not sent",
                        len(parts) - number,
                        len(parts),
                    )
                return

    # Rasa's OutputChannel interface

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._send_text(recipient_id, text)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self._send_text(recipient_id, text, self._keyboard(buttons))

    async def send_quick_replies(
        self, recipient_id: str, text: str, quick_replies: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self._send_text(recipient_id, text, self._keyboard(quick_replies))

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        chat_id = parse_sender_id(recipient_id)
        await self.api.call("sendPhoto", lambda bot: bot.send_photo(chat_id, image))

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        text = json_message.get("text")
        if not isinstance(text, str) or not text.strip():
            logger.warning(
                "Telegram has no use for a custom payload without text (keys %s): nothing sent",
                sorted(json_message),
            )
            return
        await self._send_text(recipient_id, text)

    # beyond Rasa's interface

    async def send_typing(self, recipient_id: str) -> None:
        """The "typing…" indicator; a failure only logs a warning (it is a courtesy)."""
        chat_id = parse_sender_id(recipient_id)
        await self.api.call(
            "sendChatAction",
            lambda bot: bot.send_chat_action(chat_id, ChatAction.TYPING),
            attempts=1,
            failure_level=logging.WARNING,
        )

    async def answer_button(self, callback_query_id: str) -> None:
        """Tell Telegram a button press was received (the customer's spinner stops)."""
        await self.api.call(
            "answerCallbackQuery",
            lambda bot: bot.answer_callback_query(callback_query_id),
            failure_level=logging.WARNING,
        )

    def _keyboard(self, buttons: list[dict[str, Any]]) -> InlineKeyboardMarkup | None:
        """One button per row: a link, or our sealed payload (dropped if it does not fit)."""
        rows = []
        for button in buttons:
            title = " ".join(str(button.get("title") or "").split())
            if button.get("url"):
                rows.append([InlineKeyboardButton(title, url=str(button["url"]))])
                continue
            payload = str(button.get("payload") or "")
            sealed = self.seal.seal(payload, MAX_CALLBACK_DATA) if payload else None
            if sealed is not None:
                rows.append([InlineKeyboardButton(title, callback_data=sealed)])
        return InlineKeyboardMarkup(rows) if rows else None


# --- the channel -----------------------------------------------------------------------------


class TelegramInput(InputChannel):
    """Custom channel ``telegram`` (credentials.yml: ``connectors.telegram.TelegramInput``)."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> TelegramInput:
        credentials = credentials or {}
        try:
            config = TelegramConfig.from_values(
                str(credentials.get("bot_token") or ""),
                str(credentials.get("secret_token") or ""),
                api_url_from_env(),
            )
        except ValueError as error:
            raise ValueError(f"Telegram channel not configured: {error} (see README)") from error
        return cls(config)

    def __init__(
        self,
        config: TelegramConfig,
        state: ChannelState | None = None,
        api: TelegramApi | None = None,
    ) -> None:
        self.config = config
        self.api = api or TelegramApi(config.bot_token, config.api_url)
        self.state = state or ChannelState.from_env(get_settings().var_dir)
        self.seal = ButtonSeal(config.secret_token.encode("utf-8"), CHANNEL)
        self.queues = SenderQueues(CHANNEL)
        self.output = TelegramOutput(self.api, self.seal)

    def get_output_channel(self) -> OutputChannel | None:
        return self.output

    def accept(
        self, headers: dict[str, str | None], body: bytes
    ) -> tuple[int, str, list[Incoming]]:
        """Status, answer text and what to handle of one POST (no side effect)."""
        if not secret_is_valid(self.config.secret_token, headers.get(SECRET_HEADER)):
            logger.warning("Telegram webhook: missing or wrong secret token, request refused")
            return 403, "invalid secret token", []
        if len(body) > MAX_BODY_BYTES:
            return 413, "body too large", []
        try:
            data = json.loads(body)
        except ValueError:
            return 400, "body is not JSON", []
        if not isinstance(data, dict):
            return 400, "body is not a Telegram update", []
        try:
            update = Update.de_json(data, self.api.bot())
        except (TypeError, KeyError, ValueError, AttributeError) as error:
            logger.warning("Telegram webhook: not an update (%s: %s)", type(error).__name__, error)
            return 400, "body is not a Telegram update", []
        incoming = read_update(update, self.seal)
        return 200, "ok", [incoming] if incoming is not None else []

    async def process(
        self, incoming: Incoming, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> None:
        """Answer a button press, then hand the message to Rasa, unless it is a redelivery."""
        loop = asyncio.get_running_loop()
        try:
            first = await loop.run_in_executor(
                None, self.state.first_delivery, CHANNEL, incoming.delivery_id
            )
        except StateUnavailable as error:
            logger.error("STATE UNAVAILABLE, cannot de-duplicate, processing anyway: %s", error)
            first = True
        if not first:
            logger.info(
                "Telegram redelivered update %s: already handled, dropped", incoming.delivery_id
            )
            return
        if incoming.callback_query_id is not None:
            await self.output.answer_button(incoming.callback_query_id)
        if incoming.text is None:
            return
        await self.output.send_typing(incoming.sender_id)
        metadata = {**incoming.metadata, "brand": self.config.brand}
        await on_new_message(
            UserMessage(
                incoming.text,
                self.output,
                incoming.sender_id,
                input_channel=CHANNEL,
                metadata=metadata,
            )
        )

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        return webhook_blueprint(
            "telegram_webhook",
            self,
            SECRET_HEADER,
            on_new_message,
            open_client=self.api.bot,
            close_client=self.api.close,
        )
