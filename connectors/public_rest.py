"""Rasa's REST channel, safe to expose to customers when ``PUBLIC_REST=1``.

Without ``PUBLIC_REST`` it is Rasa's ``rest`` channel unchanged: the shell, the conversation
tests and internal tools may send ``/intent`` commands. With ``PUBLIC_REST=1`` (a web chat
widget talking to it directly), customer text is always text (:func:`as_customer_text`), and the
caller can neither pick the input channel nor pass metadata (no brand switching, no forged
channel in the ledger).
"""

from __future__ import annotations

import os
from typing import Any

from rasa.core.channels.rest import RestInput
from sanic.request import Request

from connectors.customer_text import as_customer_text

PUBLIC_REST = "PUBLIC_REST"


def rest_is_public() -> bool:
    return os.environ.get(PUBLIC_REST, "").strip().lower() in ("1", "true", "yes")


class PublicRestInput(RestInput):
    """``rest`` (credentials.yml: ``connectors.public_rest.PublicRestInput``)."""

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> PublicRestInput:
        return cls()

    def _extract_message(self, req: Request) -> str | None:
        text = super()._extract_message(req)
        if rest_is_public() and isinstance(text, str):
            return as_customer_text(text)
        return text

    def _extract_input_channel(self, req: Request) -> str:
        return self.name() if rest_is_public() else super()._extract_input_channel(req)

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        return None if rest_is_public() else super().get_metadata(request)
