"""Reaching a customer later, on the channel they wrote on: for community managers' replies.

A conversation id names its channel (``messenger:<page>:<psid>``, ``telegram:<chat>``). The
outputs are built from the same environment variables as the input channels, once per process.
"""

from __future__ import annotations

import logging
import os
from functools import lru_cache

from rasa.core.channels.channel import OutputChannel

from bot.channels.state import ChannelState
from bot.settings import get_settings
from connectors.buttons import ButtonSeal
from connectors.graph_api import GraphApi
from connectors.messenger import MessengerOutput
from connectors.messenger_config import MessengerConfig
from connectors.messenger_events import parse_sender_id
from connectors.telegram import TelegramConfig, TelegramOutput
from connectors.telegram_api import TelegramApi

logger = logging.getLogger(__name__)


class CannotReachCustomer(RuntimeError):
    """No channel here can write to this conversation (REST, or a channel not configured)."""


@lru_cache(maxsize=1)
def _messenger() -> tuple[MessengerConfig, GraphApi, ChannelState, ButtonSeal]:
    config = MessengerConfig.from_env()
    state = ChannelState.from_env(get_settings().var_dir)
    return config, GraphApi(config.graph_url), state, ButtonSeal(config.app_secret, "messenger")


@lru_cache(maxsize=1)
def _telegram() -> TelegramOutput:
    config = TelegramConfig.from_values(
        os.environ.get("TELEGRAM_BOT_TOKEN", ""),
        os.environ.get("TELEGRAM_SECRET_TOKEN", ""),
        os.environ.get("TELEGRAM_API_URL") or None,
    )
    api = TelegramApi(config.bot_token, config.api_url)
    return TelegramOutput(api, ButtonSeal(config.secret_token.encode("utf-8"), "telegram"))


def output_for(conversation_id: str) -> OutputChannel:
    """The output channel that writes to this conversation; CannotReachCustomer otherwise."""
    channel = conversation_id.partition(":")[0]
    try:
        if channel == "messenger":
            config, graph, state, seal = _messenger()
            page_id, _ = parse_sender_id(conversation_id)
            return MessengerOutput(config.pages[page_id], graph, state, seal)
        if channel == "telegram":
            return _telegram()
    except (ValueError, KeyError) as error:
        raise CannotReachCustomer(f"{channel} is not configured here: {error}") from error
    raise CannotReachCustomer(f"no channel can push to conversation on {channel!r}")


async def send_human_text(conversation_id: str, text: str) -> None:
    """A community manager's message to the customer.

    Raises CannotReachCustomer, or the channel's own refusal (Messenger:
    OutsideMessagingWindow after 7 days, GraphApiError).
    """
    output = output_for(conversation_id)
    if isinstance(output, MessengerOutput):
        await output.send_human_agent_text(conversation_id, text)
    else:
        await output.send_text_message(conversation_id, text)
