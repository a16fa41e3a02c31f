"""``python -m bot channels credentials`` and ``python -m bot telegram set-webhook``."""

from __future__ import annotations

import sys
from pathlib import Path

from bot.channels.credentials import enabled_credentials
from bot.exit_codes import ExitCode


def write_credentials(template: str, out: str) -> ExitCode:
    """Write the runtime credentials: every channel whose environment variables are set."""
    text, enabled, disabled = enabled_credentials(Path(template).read_text(encoding="utf-8"))
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    for name in enabled:
        print(f"channel on:  {name}", file=sys.stderr)
    for name, missing in disabled.items():
        print(f"channel off: {name} (set {', '.join(missing)})", file=sys.stderr)
    return ExitCode.OK


def set_telegram_webhook(url: str) -> ExitCode:
    """Register the Telegram webhook (``TELEGRAM_BOT_TOKEN``, ``TELEGRAM_SECRET_TOKEN``)."""
    # python-telegram-bot is only loaded by the command that needs it.
    from bot.channels.telegram_setup import set_webhook_from_env

    return set_webhook_from_env(url)
