"""The conversion webhook: the shop confirms a sale, the only way a sale is counted.

``POST /webhooks/conversions/webhook`` with a JSON body ``{"ref", "order_id", "amount",
"currency"}`` (``ordered_at`` optional) and the headers

* ``X-Conversion-Timestamp: <unix seconds>``
* ``X-Conversion-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>``

Answers: 200 ``recorded`` / ``duplicate``; 401 bad or missing signature, or a timestamp more
than 5 minutes off; 404 unknown ref; 400 malformed body; 413 above 64 KB; 503 if the ledger is
down (the shop retries; nothing is lost). Nothing is written unless the answer is ``recorded``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.brand.brand_file import load_brand
from bot.brand.errors import BrandError
from bot.keys import CONVERSION_WEBHOOK_SECRET, require_secret
from bot.sales.conversions import ConversionError, parse_conversion, record
from bot.sales.ledger import ConversionStatus, Ledger, LedgerUnavailable, utcnow
from bot.settings import get_settings
from connectors.payloads import (
    PayloadError,
    decode_json,
    read_body,
    same_signature,
    timestamp_is_fresh,
)

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
TIMESTAMP_HEADER = "X-Conversion-Timestamp"
SIGNATURE_HEADER = "X-Conversion-Signature"


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """The signature header value a shop sends for ``body`` at ``timestamp``."""
    mac = hmac.new(secret, timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def signature_is_valid(
    secret: bytes, timestamp: str | None, signature: str | None, body: bytes, now: float
) -> bool:
    """Constant-time check of the signature, and of the timestamp's 5-minute window."""
    if not timestamp_is_fresh(timestamp, now):
        return False
    return same_signature(sign(secret, timestamp, body), signature)


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]


def window_days(brand_slug: str) -> int:
    try:
        return load_brand(brand_slug).billing.attribution_window_days
    except BrandError:
        logger.error("conversion for unknown brand %r: default 30-day window", brand_slug)
        return 30


def handle(
    ledger: Ledger, secret: bytes, headers: dict[str, str], body: bytes, now: float
) -> Answer:
    """The whole webhook, without HTTP: what to answer to this request."""
    if len(body) > MAX_BODY_BYTES:
        return Answer(413, {"error": "body larger than 64 KB"})
    if not signature_is_valid(
        secret, headers.get(TIMESTAMP_HEADER), headers.get(SIGNATURE_HEADER), body, now
    ):
        return Answer(401, {"error": "missing or invalid signature"})
    try:
        conversion = parse_conversion(decode_json(body), received_at=utcnow())
    except (PayloadError, ConversionError) as error:
        logger.warning("conversion webhook: refused, %s", error)
        return Answer(400, {"error": str(error)})
    try:
        result = record(ledger, conversion, window_days, source="webhook")
    except LedgerUnavailable:
        logger.error("conversion %s not recorded: ledger unavailable", conversion.order_id)
        return Answer(503, {"error": "ledger unavailable, retry later"})
    if result.status is ConversionStatus.UNKNOWN_REF:
        return Answer(404, {"error": "unknown ref"})
    if result.status is ConversionStatus.RECORDED:
        logger.info(
            "conversion recorded: brand=%s order=%s outside_window=%s",
            result.event.brand,
            conversion.order_id,
            result.event.outside_window,
        )
    body_out: dict[str, Any] = {"status": result.status.value}
    if result.status is ConversionStatus.RECORDED and result.event.outside_window:
        body_out["outside_attribution_window"] = True
    return Answer(200, body_out)


class ConversionInput(InputChannel):
    """Custom channel ``conversions``: receives sales, never customer messages."""

    @classmethod
    def name(cls) -> str:
        return "conversions"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> ConversionInput:
        return cls()

    def __init__(self) -> None:
        self.secret = require_secret(CONVERSION_WEBHOOK_SECRET)
        self.ledger = Ledger.from_env(get_settings().var_dir)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = Blueprint("conversions_webhook", __name__)

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hook.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            body = await read_body(request, MAX_BODY_BYTES)
            if body is None:
                return response.json({"error": "body larger than 64 KB"}, status=413)
            headers = {
                TIMESTAMP_HEADER: request.headers.get(TIMESTAMP_HEADER),
                SIGNATURE_HEADER: request.headers.get(SIGNATURE_HEADER),
            }
            answer = await asyncio.get_running_loop().run_in_executor(
                None, handle, self.ledger, self.secret, headers, body, time.time()
            )
            return response.json(answer.body, status=answer.status)

        return hook
