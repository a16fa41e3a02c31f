"""The Telegram Bot API through python-telegram-bot: timeouts, bounded retries, no token in logs.

One thin wrapper around one external service. Flood control (429) waits what Telegram asks,
within a cap; network errors and timeouts back off exponentially; refusals (bad request, blocked
by the customer) are logged once, never raised into a conversation.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.channels.telegram_setup import DEFAULT_API_URL, TIMEOUT_S, make_bot, redact

logger = logging.getLogger(__name__)

T = TypeVar("T")

MAX_RETRY_AFTER_S = 30.0


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
