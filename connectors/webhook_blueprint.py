"""The webhook shape shared by the customer channels: verify, answer at once, process later.

Messenger and Telegram differ in how they check and read a request (their ``accept``) and how
they hand a message to Rasa (their ``process``); everything around it is here: the health route,
the POST route that answers before any NLU runs, the start-up warm-up and the drain at shutdown.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from rasa.core.channels.channel import UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.state import ChannelState, StateUnavailable
from connectors.ordered_tasks import SenderQueues

logger = logging.getLogger(__name__)


class WebhookChannel(Protocol):
    """What a channel provides to :func:`webhook_blueprint`."""

    state: ChannelState
    queues: SenderQueues

    def accept(self, headers: dict[str, str | None], body: bytes) -> tuple[int, str, list[Any]]: ...

    async def process(
        self, incoming: Any, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> None: ...


def webhook_blueprint(
    name: str,
    channel: WebhookChannel,
    header: str,
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
    open_client: Callable[[], Any],
    close_client: Callable[[], Awaitable[None]],
) -> Blueprint:
    """``GET /`` (health) and ``POST /webhook`` for ``channel``; ``header`` carries its proof."""
    hook = Blueprint(name, __name__)

    @hook.route("/", methods=["GET"])
    async def health(_: Request) -> HTTPResponse:
        return response.json({"status": "ok"})

    @hook.route("/webhook", methods=["POST"])
    async def receive(request: Request) -> HTTPResponse:
        status, text, messages = channel.accept(
            {header: request.headers.get(header)}, request.body or b""
        )
        for incoming in messages:
            channel.queues.submit(
                incoming.sender_id,
                lambda incoming=incoming: channel.process(incoming, on_new_message),
            )
        return response.text(text, status=status)

    @hook.listener("after_server_start")
    async def warm_up(*_: Any) -> None:
        # The first customers after a start must not wait for table creation and TLS set-up.
        open_client()
        try:
            await asyncio.get_running_loop().run_in_executor(None, channel.state.ensure_schema)
        except StateUnavailable as error:
            logger.error("STATE UNAVAILABLE at start: %s", error)

    @hook.listener("before_server_stop")
    async def finish(*_: Any) -> None:
        await channel.queues.drain()
        await close_client()

    return hook
