"""Secrets from the environment, and the pseudonyms derived from them.

Secrets never have defaults. A secret that is empty, too short or an obvious placeholder
("changeme", "xxx", "<secret>") is refused, so a deployment cannot run with the example value
(``python -m bot secrets check``, run by ``make serve``). ``make run`` gets local ones
(``python -m bot secrets generate``).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import sys
from pathlib import Path

from bot.exit_codes import ExitCode

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


def check_secrets() -> ExitCode:
    """Say on stderr which required secret is missing or a placeholder; BAD_CONFIG if any."""
    status = ExitCode.OK
    for name in REQUIRED_SECRETS:
        problem = problem_with(os.environ.get(name))
        if problem:
            print(f"{name} {problem}: set a real secret in the environment", file=sys.stderr)
            status = ExitCode.BAD_CONFIG
    return status


def generate_local_secrets(file: str) -> ExitCode:
    """Write fresh random secrets as shell exports to ``file`` (mode 600), unless it exists."""
    path = Path(file)
    if path.exists():
        return ExitCode.OK
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"export {name}={secrets.token_urlsafe(32)}" for name in REQUIRED_SECRETS]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write("# Local secrets for `make run`, generated once. Never use them in production.\n")
        out.write("\n".join(lines) + "\n")
    print(f"local secrets written to {path}", file=sys.stderr)
    return ExitCode.OK
