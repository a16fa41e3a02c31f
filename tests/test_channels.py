"""Which channels `make serve` turns on, and REST when it is public."""

from __future__ import annotations

from pathlib import Path

from bot.channels.credentials import enabled_credentials

TEMPLATE = (Path(__file__).parent.parent / "credentials.yml").read_text(encoding="utf-8")
MESSENGER = {
    "MESSENGER_PAGE_ID": "1",
    "MESSENGER_PAGE_ACCESS_TOKEN": "token",
    "MESSENGER_APP_SECRET": "s3cr3t-value-42",
    "MESSENGER_VERIFY_TOKEN": "verify",
}


def test_channels_without_variables_are_always_on_others_only_when_all_are_set():
    text, enabled, disabled = enabled_credentials(TEMPLATE, {})
    assert enabled == [
        "connectors.public_rest.PublicRestInput",
        "connectors.conversions.ConversionInput",
    ]
    assert disabled["connectors.telegram.TelegramInput"] == [
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_SECRET_TOKEN",
    ]
    assert not [line for line in text.splitlines() if "${" in line and not line.startswith("#")]

    text, enabled, disabled = enabled_credentials(TEMPLATE, MESSENGER)
    assert "connectors.messenger.MessengerInput" in enabled
    assert "${MESSENGER_APP_SECRET}" in text  # Rasa expands it; the secret is never written
    assert "s3cr3t-value-42" not in text

    partial = {**MESSENGER, "MESSENGER_VERIFY_TOKEN": "  "}
    _, enabled, disabled = enabled_credentials(TEMPLATE, partial)
    assert "connectors.messenger.MessengerInput" not in enabled
    assert disabled["connectors.messenger.MessengerInput"] == ["MESSENGER_VERIFY_TOKEN"]


def test_credentials_template_holds_only_placeholders():
    for line in TEMPLATE.splitlines():
        if line.startswith("  ") and ":" in line:
            value = line.split(":", 1)[1].strip()
            assert value.startswith("${") and value.endswith("}"), line
