"""Secrets from the environment, and the pseudonyms derived from them.

Secrets never have defaults. A secret that is empty, too short or an obvious placeholder
("changeme", "xxx", "<secret>") is refused, so a deployment cannot run with the example value.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re

CONVERSION_WEBHOOK_SECRET = "CONVERSION_WEBHOOK_SECRET"
PSEUDONYMISATION_KEY = "PSEUDONYMISATION_KEY"
REQUIRED_SECRETS = (CONVERSION_WEBHOOK_SECRET, PSEUDONYMISATION_KEY)

MIN_SECRET_LENGTH = 16
_PLACEHOLDER = re.compile(
    r"^(<.*>|\$\{.*\}|x+|change[-_ ]?me.*|secret|placeholder|todo|test|none|null|example.*)$",
    re.IGNORECASE,
)


class SecretError(RuntimeError):
    """A required secret is missing or is a placeholder."""


def problem_with(value: str | None) -> str | None:
    """Why ``value`` is not an acceptable secret, or None if it is."""
    if value is None or not value.strip():
        return "is empty"
    if _PLACEHOLDER.match(value.strip()):
        return "is a placeholder"
    if len(value.strip()) < MIN_SECRET_LENGTH:
        return f"is shorter than {MIN_SECRET_LENGTH} characters"
    return None


def require_secret(name: str) -> bytes:
    """The secret ``name`` from the environment; raises ``SecretError`` if unusable."""
    value = os.environ.get(name)
    problem = problem_with(value)
    if problem:
        raise SecretError(f"{name} {problem}: set it in the environment (see README)")
    return value.strip().encode("utf-8")


def pseudonym(sender_id: str, key: bytes | None = None) -> str:
    """Stable pseudonymous id of a customer: HMAC-SHA256 of the channel's sender id.

    The raw sender id never reaches the ledger or reports; without the key the pseudonym
    cannot be linked back to a Messenger or Telegram account.
    """
    secret = key if key is not None else require_secret(PSEUDONYMISATION_KEY)
    digest = hmac.new(secret, sender_id.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"c_{digest[:32]}"
