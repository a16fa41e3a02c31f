"""The ledger as the actions see it: who the customer is, and writes that never hold a reply.

Writes run on a worker thread and are awaited at most ``LEDGER_WAIT_S``; past that the customer
gets the answer anyway and the write finishes (or is spooled, ``bot.sales.ledger``) in the
background.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from functools import lru_cache

from rasa_sdk import Tracker

from bot.keys import pseudonym
from bot.sales.ledger import Ledger
from bot.settings import get_settings

logger = logging.getLogger(__name__)

LEDGER_WAIT_S = 1.5


@lru_cache(maxsize=1)
def ledger() -> Ledger:
    """This process's ledger connection pool (state lives in the database, not here)."""
    return Ledger.from_env(get_settings().var_dir)


def customer_of(tracker: Tracker) -> str:
    """The customer's pseudonym; the raw sender id never reaches the ledger."""
    return pseudonym(tracker.sender_id)


def latest_message_key(tracker: Tracker) -> str:
    """An id of the latest user message (Rasa's message id, else its timestamp), for ledger keys:
    an action replayed for the same message records nothing new."""
    last_user = next((e for e in reversed(tracker.events) if e.get("event") == "user"), {})
    return last_user.get("message_id") or f"{last_user.get('timestamp') or 0:.6f}"


def channel_of(tracker: Tracker) -> str | None:
    return tracker.get_latest_input_channel()


async def write(call: Callable[[], str], what: str) -> None:
    """Run a ledger write off the event loop; do not wait for it longer than LEDGER_WAIT_S."""
    task = asyncio.get_running_loop().run_in_executor(None, call)
    try:
        await asyncio.wait_for(asyncio.shield(task), LEDGER_WAIT_S)
    except asyncio.TimeoutError:
        logger.error("ledger slow: %s still being written in the background", what)
    except Exception:
        logger.exception("LEDGER WRITE FAILED: %s", what)
