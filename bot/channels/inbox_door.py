"""Where webhooks store what they acknowledge, many requests in one transaction.

See :class:`InboxDoor`; the inbox itself is :mod:`bot.channels.inbox`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from bot.channels.inbox import Inbox, NewDelivery, Stored


class InboxDoor:
    """Where webhooks store what they acknowledge: requests that arrive while a store is being
    written go together in the next transaction (a group commit), on the database's writer
    thread ahead of the workers' writes, so 20 customers writing at once wait for two short
    transactions, not for twenty."""

    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox
        self._waiting: list[tuple[list[NewDelivery], asyncio.Future]] = []
        self._writing = False
        self._writer_task: asyncio.Task | None = None  # referenced until it ends

    async def store(self, deliveries: Sequence[NewDelivery]) -> list[Stored]:
        """Store ``deliveries`` (with whatever else arrives meanwhile); the rows they created.

        Raises:
            StateUnavailable: Nothing was stored; the platform must not get its 200.
        """
        if not deliveries:
            return []
        future = asyncio.get_running_loop().create_future()
        self._waiting.append((list(deliveries), future))
        if not self._writing:
            self._writing = True
            self._writer_task = asyncio.get_running_loop().create_task(self._write())
        return await future

    async def _write(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                everything = [delivery for deliveries, _ in batch for delivery in deliveries]
                try:
                    stored = await self.inbox.state.write(self.inbox.store, everything, urgent=True)
                except Exception as error:  # StateUnavailable above all: every request fails
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(error)
                    continue
                created = {row.key: row for row in stored}
                for deliveries, future in batch:
                    mine = [
                        created.pop(key)
                        for key in ((d.channel, d.delivery_id[:255]) for d in deliveries)
                        if key in created
                    ]
                    if not future.done():
                        future.set_result(mine)
        finally:
            self._writing = False
