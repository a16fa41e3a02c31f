"""Telegram configuration shared by the channel and the CLI: checks, the Bot client, the webhook.

* :func:`check_credentials`: the bot token from @BotFather and the webhook secret token
  (Telegram sends it back in ``X-Telegram-Bot-Api-Secret-Token``; 1-256 characters of
  ``A-Z a-z 0-9 _ -``, and no placeholder, see :func:`bot.keys.problem_with`).
* :func:`make_bot`: a python-telegram-bot ``Bot`` for ``TELEGRAM_API_URL`` whose every request
  has a timeout. The token is part of every request URL, so it is hidden from the logs of httpx
  and of the library (:class:`HideBotToken`).
* :func:`set_webhook` / :func:`set_webhook_from_env`: tell Telegram where to deliver updates
  (``python -m bot telegram set-webhook URL``).

No Rasa here, and nothing from ``connectors/``: the channel builds on this module, not the reverse.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from urllib.parse import urlsplit

from telegram import Bot
from telegram.error import InvalidToken, TelegramError
from telegram.request import HTTPXRequest

from bot.exit_codes import ExitCode
from bot.keys import problem_with

logger = logging.getLogger(__name__)

TELEGRAM_BOT_TOKEN = "TELEGRAM_BOT_TOKEN"
TELEGRAM_SECRET_TOKEN = "TELEGRAM_SECRET_TOKEN"
TELEGRAM_API_URL = "TELEGRAM_API_URL"
DEFAULT_API_URL = "https://api.telegram.org"
ALLOWED_UPDATES = ("message", "callback_query")
TIMEOUT_S = 10.0
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})

_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
_BOT_TOKEN = re.compile(r"\d+:[A-Za-z0-9_-]+")
_TOKEN_IN_TEXT = re.compile(r"\d+:[A-Za-z0-9_-]{20,}")


# --- configuration ---------------------------------------------------------------------------


def check_credentials(bot_token: str, secret_token: str) -> tuple[str, str]:
    """The stripped (bot token, secret token); ValueError naming the variable that is wrong."""
    bot_token = (bot_token or "").strip()
    secret_token = (secret_token or "").strip()
    if not bot_token:
        raise ValueError(f"{TELEGRAM_BOT_TOKEN} must be set (the token @BotFather gave)")
    if not _BOT_TOKEN.fullmatch(bot_token):
        raise ValueError(
            f"{TELEGRAM_BOT_TOKEN} does not look like a token from @BotFather (digits:letters)"
        )
    problem = problem_with(secret_token)
    if problem:
        raise ValueError(f"{TELEGRAM_SECRET_TOKEN} {problem}")
    if not _SECRET_TOKEN.fullmatch(secret_token):
        raise ValueError(
            f"{TELEGRAM_SECRET_TOKEN} may only contain A-Z, a-z, 0-9, _ and - "
            "(1 to 256 characters), as Telegram requires"
        )
    return bot_token, secret_token


def check_url(url: str, name: str) -> str:
    """``url`` without a trailing slash; ValueError unless https (http only on loopback)."""
    url = (url or "").strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname in LOCAL_HOSTS:
        return url
    raise ValueError(f"{name} must be an https URL (http only on 127.0.0.1/localhost): {url!r}")


def api_url_from_env() -> str:
    """``TELEGRAM_API_URL`` (tests point it at a fake), by default Telegram's own."""
    return check_url(os.environ.get(TELEGRAM_API_URL, "") or DEFAULT_API_URL, TELEGRAM_API_URL)


# --- the client ------------------------------------------------------------------------------


class HideBotToken(logging.Filter):
    """Replaces bot tokens in a log record (httpx logs every request URL at INFO)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _TOKEN_IN_TEXT.search(message):
            record.msg = _TOKEN_IN_TEXT.sub("<bot-token>", message)
            record.args = ()
        return True


_TOKEN_FILTER = HideBotToken()


def hide_bot_tokens_in_logs() -> None:
    """Install :class:`HideBotToken` on the loggers that write request URLs (idempotent)."""
    for name in ("httpx", "telegram.Bot", "telegram.ext.ExtBot"):
        logging.getLogger(name).addFilter(_TOKEN_FILTER)


def redact(text: str, bot_token: str) -> str:
    """``text`` without ``bot_token`` (library errors may quote it)."""
    if bot_token:
        text = text.replace(bot_token, "<bot-token>")
    return _TOKEN_IN_TEXT.sub("<bot-token>", text)


def make_bot(bot_token: str, api_url: str = DEFAULT_API_URL, timeout_s: float = TIMEOUT_S) -> Bot:
    """A Bot for ``api_url`` whose requests all time out (connect, read, write, pool).

    The library appends the token to ``base_url``: ``{api_url}/bot{token}/{method}``.
    """
    hide_bot_tokens_in_logs()
    quick = min(timeout_s, 5.0)
    request = HTTPXRequest(
        read_timeout=timeout_s,
        write_timeout=timeout_s,
        connect_timeout=quick,
        pool_timeout=quick,
        media_write_timeout=2 * timeout_s,
    )
    updates_request = HTTPXRequest(
        connection_pool_size=1,
        read_timeout=timeout_s,
        write_timeout=timeout_s,
        connect_timeout=quick,
        pool_timeout=quick,
    )
    return Bot(
        bot_token,
        base_url=f"{api_url.rstrip('/')}/bot",
        request=request,
        get_updates_request=updates_request,
    )


# --- the webhook -----------------------------------------------------------------------------


async def set_webhook(url: str, bot_token: str, secret_token: str, api_url: str) -> bool:
    """Ask Telegram to POST our updates (messages and button presses) to ``url``.

    Returns the library's answer (True when Telegram accepted). Raises ValueError for a bad
    URL or bad credentials, ``telegram.error.TelegramError`` when Telegram refuses or cannot
    be reached (``InvalidToken`` for a token it does not know).
    """
    url = check_url(url, "the webhook URL")
    api_url = check_url(api_url, TELEGRAM_API_URL)
    bot_token, secret_token = check_credentials(bot_token, secret_token)
    async with make_bot(bot_token, api_url) as bot:  # initialize() checks the token (getMe)
        return await bot.set_webhook(
            url=url,
            secret_token=secret_token,
            allowed_updates=list(ALLOWED_UPDATES),
            drop_pending_updates=False,
        )


def set_webhook_from_env(url: str) -> ExitCode:
    """:func:`set_webhook` with ``TELEGRAM_*`` from the environment (``python -m bot telegram
    set-webhook``): OK when Telegram accepted, BAD_CONFIG for a bad URL, token or secret,
    FAILED when Telegram refused or was unreachable.
    """
    bot_token = os.environ.get(TELEGRAM_BOT_TOKEN, "")
    try:
        accepted = asyncio.run(
            set_webhook(
                url,
                bot_token,
                os.environ.get(TELEGRAM_SECRET_TOKEN, ""),
                api_url_from_env(),
            )
        )
    except ValueError as error:
        logger.error("Telegram webhook not set: %s", error)
        return ExitCode.BAD_CONFIG
    except InvalidToken as error:
        logger.error(
            "Telegram webhook not set: %s rejected by Telegram (%s)",
            TELEGRAM_BOT_TOKEN,
            redact(str(error), bot_token),
        )
        return ExitCode.BAD_CONFIG
    except TelegramError as error:
        logger.error("Telegram webhook not set: %s", redact(str(error), bot_token))
        return ExitCode.FAILED
    if not accepted:
        logger.error("Telegram webhook not set: Telegram answered false")
        return ExitCode.FAILED
    print(f"Telegram webhook set: {url}")
    return ExitCode.OK
