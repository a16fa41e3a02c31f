"""The Messenger Send API (``POST {MESSENGER_GRAPH_URL}/me/messages``), async, with retries.

One thin wrapper around one external service. Every call has a timeout; 429, 5xx and network
errors are retried a bounded number of times with exponential backoff (``Retry-After`` honoured,
capped); other errors raise :class:`GraphApiError` with Facebook's message. The page access token
travels as the ``access_token`` query parameter, as the Graph API documents, and is never logged.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from typing import Any

import aiohttp

logger = logging.getLogger(__name__)

DEFAULT_GRAPH_URL = "https://graph.facebook.com/v21.0"
RETRYABLE = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER_S = 30.0


class GraphApiError(RuntimeError):
    """The Graph API refused a call, or kept failing after the retries."""

    def __init__(self, message: str, status: int | None = None, code: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class GraphApi:
    """Calls the Send API; one instance (and one connection pool) per process."""

    def __init__(
        self,
        base_url: str = DEFAULT_GRAPH_URL,
        timeout_s: float = 10.0,
        attempts: int = 4,
        backoff_s: float = 0.5,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = aiohttp.ClientTimeout(total=timeout_s, connect=min(timeout_s, 5.0))
        self.attempts = max(1, attempts)
        self.backoff_s = backoff_s
        self._client: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _http(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            # A session belongs to the event loop it was first used on. aiohttp rather than
            # httpx: its CPU cost per request is several times lower, and that time is taken
            # from the webhook's event loop (docs/benchmarks.md, webhook).
            self._client = aiohttp.ClientSession(timeout=self.timeout)
            self._loop = loop
        return self._client

    def warm_up(self) -> None:
        """Open the connection pool now (it loads TLS certificates: ~0.2 s the first time)."""
        self._http()

    async def send(self, access_token: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST ``body`` to ``/me/messages``; the Graph API's JSON answer."""
        url = f"{self.base_url}/me/messages"
        last_error = "no attempt made"
        for attempt in range(1, self.attempts + 1):
            delay = self.backoff_s * 2 ** (attempt - 1) * (0.75 + random.random() / 2)
            try:
                async with self._http().post(
                    url, params={"access_token": access_token}, json=body
                ) as answer:
                    status = answer.status
                    text = await answer.text()
                    retry_after = _retry_after(answer.headers.get("Retry-After"))
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                last_error = f"{type(error).__name__}"
            else:
                data = _json(text)
                if status < 300:
                    return data
                error = data.get("error") or {}
                last_error = f"HTTP {status}: {error.get('message', text[:200])}"
                if status not in RETRYABLE:
                    raise GraphApiError(
                        f"Graph API refused the message: {last_error}",
                        status=status,
                        code=error.get("code"),
                    )
                delay = max(delay, retry_after)
            if attempt < self.attempts:
                logger.warning(
                    "Graph API attempt %s/%s failed (%s); retrying in %.1f s",
                    attempt,
                    self.attempts,
                    last_error,
                    delay,
                )
                await asyncio.sleep(delay)
        raise GraphApiError(f"Graph API unavailable after {self.attempts} attempts: {last_error}")

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None


def _json(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _retry_after(value: str | None) -> float:
    try:
        return min(MAX_RETRY_AFTER_S, max(0.0, float(value or 0)))
    except ValueError:
        return 0.0
