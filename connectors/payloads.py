"""What comes through the door: a bounded body, the signature, then JSON, then a small schema.

Every inbound endpoint reads its body with :func:`read_body`, whose limit holds while the body
is read (a 50 MB body is refused after its headers, not held in memory), checks the signature on
the raw bytes, and only then decodes with :func:`decode_json` and checks the shape with a
:class:`Schema`. Anything malformed is a :class:`PayloadError`: a 400 with a short reason in the
log that never quotes the payload (customer text stays out of logs), never a 500.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from jsonschema import Draft7Validator
from jsonschema.exceptions import best_match
from sanic.exceptions import PayloadTooLarge
from sanic.request import Request

MAX_DEPTH = 32
MAX_CLOCK_SKEW_S = 5 * 60


class PayloadError(ValueError):
    """A request body that is not what the endpoint takes; the message says why, briefly."""


def same_signature(expected: str, given: str | None) -> bool:
    """Constant-time comparison of the signature we compute with the one a request carries.

    Compared as bytes: a header with non-ASCII characters is a wrong signature, not an error.
    """
    if not given:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.strip().encode("utf-8"))


def timestamp_is_fresh(timestamp: str | None, now: float) -> bool:
    """Whether a signed request's ``timestamp`` (Unix seconds) is within 5 minutes of ``now``:
    a request recorded and replayed later is refused."""
    if not timestamp or not timestamp.isascii() or not timestamp.isdigit():
        return False  # int() would take "١٧٠٠٠٠٠٠٠٠" too, which the signature cannot encode
    return abs(now - int(timestamp)) <= MAX_CLOCK_SKEW_S


async def read_body(request: Request, limit: int) -> bytes | None:
    """The body of a streaming route, or None if it is longer than ``limit`` bytes.

    A declared ``Content-Length`` over the limit is refused before any byte is read; a chunked
    body is refused as soon as it passes the limit.
    """
    if request.stream is None:  # already read (not a streaming route)
        body = request.body or b""
        return body if len(body) <= limit else None
    request.stream.request_max_size = limit
    try:
        await request.receive_body()
    except PayloadTooLarge:
        return None
    return request.body or b""


def _depth(data: Any, limit: int) -> bool:
    """Whether ``data`` nests at most ``limit`` containers deep (iteratively: no recursion)."""
    stack = [(data, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return False
        stack.extend((child, depth + 1) for child in children)
    return True


def decode_json(body: bytes, max_depth: int = MAX_DEPTH) -> Any:
    """``body`` as JSON. Raises PayloadError: not UTF-8, not JSON, or nested too deep."""
    try:
        data = json.loads(body)
    except UnicodeDecodeError as error:
        raise PayloadError("body is not UTF-8") from error
    except RecursionError as error:
        raise PayloadError("body is nested too deep") from error
    except ValueError as error:
        raise PayloadError("body is not JSON") from error
    if not _depth(data, max_depth):
        raise PayloadError(f"body is nested deeper than {max_depth} levels")
    return data


class Schema:
    """A JSON schema compiled once; :meth:`check` raises PayloadError naming the first problem
    by its place and rule (``entry.0.messaging: type array``), never by its value."""

    def __init__(self, what: str, schema: dict[str, Any]) -> None:
        Draft7Validator.check_schema(schema)
        self.what = what
        self.validator = Draft7Validator(schema)

    def check(self, data: Any) -> Any:
        error = best_match(self.validator.iter_errors(data))
        if error is None:
            return data
        place = ".".join(str(part) for part in error.absolute_path) or "body"
        rule = error.validator_value if error.validator in ("type", "maxLength") else ""
        raise PayloadError(f"{self.what}: {place}: {error.validator} {rule}".rstrip())


def object_of(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    """A schema for an object whose listed properties have these shapes (others are free)."""
    return {"type": "object", "properties": properties, "required": list(required)}


def array_of(items: dict[str, Any], max_items: int = 1000) -> dict[str, Any]:
    return {"type": "array", "items": items, "maxItems": max_items}


STRING = {"type": "string"}
INTEGER = {"type": "integer"}
ID = {"type": ["string", "integer"]}
