"""The webhook shape shared by the customer channels: verify, store, acknowledge, then run.

Messenger and Telegram differ in how they check and read a request (their ``accept``) and how
they hand a message to Rasa (their ``process``); everything around it is here. A delivery is
acknowledged (200) only once it is stored in the inbox (:mod:`bot.channels.inbox`): if the state
database does not answer, the platform gets a 503 and delivers again later. Stored deliveries
are run by a :class:`DeliveryWorker`, right away and after any crash.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, Protocol

from rasa.core.channels.channel import UserMessage
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.inbox import Delivery, Inbox, NewDelivery
from bot.channels.inbox_door import InboxDoor
from bot.channels.state import ChannelState, StateUnavailable
from connectors.delivery_worker import DeliveryTurn, DeliveryWorker, OnNewMessage
from connectors.payloads import read_body

logger = logging.getLogger(__name__)


class Incoming(Protocol):
    """One customer message read from a delivery."""

    @property
    def sender_id(self) -> str: ...

    @property
    def delivery_id(self) -> str: ...

    def to_payload(self) -> dict[str, Any]: ...


class WebhookChannel(Protocol):
    """What a channel provides to :class:`Webhook`."""

    MAX_BODY_BYTES: ClassVar[int]
    state: ChannelState

    @classmethod
    def name(cls) -> str: ...

    def accept(
        self, headers: dict[str, str | None], body: bytes
    ) -> tuple[int, str, list[Incoming]]: ...

    def incoming_from(self, payload: dict[str, Any]) -> Incoming: ...

    async def process(
        self, incoming: Any, run_turn: Callable[[UserMessage], Awaitable[Any]]
    ) -> None: ...


class Webhook:
    """One channel's webhook: :meth:`receive` stores and acknowledges, the worker runs."""

    def __init__(self, channel: WebhookChannel, on_new_message: OnNewMessage) -> None:
        self.channel = channel
        self.on_new_message = on_new_message
        self.inbox = Inbox(channel.state)
        self.door = InboxDoor(self.inbox)
        self.worker = DeliveryWorker(channel.name(), self.inbox, self._handle)
        self.agent: Any = None  # Rasa's agent, once the server runs (to check saved turns)

    async def receive(self, headers: dict[str, str | None], body: bytes) -> tuple[int, str]:
        """Status and text to answer one POST; what it accepted is stored before it returns."""
        status, text, messages = self.channel.accept(headers, body)
        if status != 200 or not messages:
            return status, text
        name = self.channel.name()
        deliveries = [
            NewDelivery(name, m.delivery_id, m.sender_id, m.to_payload()) for m in messages
        ]
        try:
            stored = await self.door.store(deliveries)
        except StateUnavailable as error:
            logger.error(
                "STATE UNAVAILABLE, %s delivery not acknowledged (the platform sends it again): %s",
                name,
                error,
            )
            return 503, "temporarily unavailable, retry"
        for row in stored:
            self.worker.submit(row)
        return status, text

    async def _handle(self, delivery: Delivery) -> None:
        incoming = self.channel.incoming_from(delivery.payload)
        turn = DeliveryTurn(delivery, self.inbox, self.on_new_message, self.agent)
        await self.channel.process(incoming, turn)

    async def start(self, app: Sanic | None = None) -> None:
        self.agent = getattr(app.ctx, "agent", None) if app is not None else None
        await self.worker.start()

    async def stop(self) -> None:
        await self.worker.stop()


def webhook_blueprint(
    name: str,
    webhook: Webhook,
    header: str,
    open_client: Callable[[], Any],
    close_client: Callable[[], Awaitable[None]],
) -> Blueprint:
    """``GET /`` (health) and ``POST /webhook`` for ``webhook``; ``header`` carries its proof."""
    hook = Blueprint(name, __name__)
    limit = webhook.channel.MAX_BODY_BYTES

    @hook.route("/", methods=["GET"])
    async def health(_: Request) -> HTTPResponse:
        return response.json({"status": "ok"})

    @hook.route("/webhook", methods=["POST"], stream=True)
    async def receive(request: Request) -> HTTPResponse:
        body = await read_body(request, limit)
        if body is None:
            logger.warning("%s webhook: body over %s bytes, refused", name, limit)
            return response.text("body too large", status=413)
        status, text = await webhook.receive({header: request.headers.get(header)}, body)
        return response.text(text, status=status)

    @hook.listener("after_server_start")
    async def warm_up(app: Sanic, _: Any) -> None:
        # The first customers after a start must not wait for table creation and TLS set-up.
        open_client()
        await webhook.start(app)

    @hook.listener("before_server_stop")
    async def finish(*_: Any) -> None:
        await webhook.stop()
        await close_client()

    return hook
