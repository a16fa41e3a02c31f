"""Background work, in order per customer, with every task referenced until it ends.

Webhooks answer at once and process later. Messages of one customer must still be handled in
the order they were sent, while different customers proceed in parallel. :class:`SenderQueues`
chains each customer's work behind their previous work and keeps a reference to every task, so
none is garbage-collected mid-flight and shutdown can wait for them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)

Work = Callable[[], Awaitable[None]]


class SenderQueues:
    """Runs work per sender in submission order; different senders run concurrently."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._tails: dict[str, asyncio.Task] = {}
        self._tasks: set[asyncio.Task] = set()

    def submit(self, sender: str, work: Work) -> asyncio.Task:
        """Schedule ``work`` after everything already submitted for ``sender``."""
        previous = self._tails.get(sender)
        task = asyncio.get_running_loop().create_task(self._run_after(previous, sender, work))
        self._tails[sender] = task
        self._tasks.add(task)
        task.add_done_callback(lambda done: self._forget(sender, done))
        return task

    async def _run_after(self, previous: asyncio.Task | None, sender: str, work: Work) -> None:
        if previous is not None:
            await asyncio.wait([previous])  # its failure is its own; ours runs regardless
        try:
            await work()
        except Exception:
            logger.exception("%s: processing a message failed", self.name)

    def _forget(self, sender: str, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if self._tails.get(sender) is task:
            del self._tails[sender]

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait for every task submitted so far (tests, shutdown)."""
        tasks = list(self._tasks)
        if not tasks:
            return
        done, not_done = await asyncio.wait(tasks, timeout=timeout)
        if not_done:
            logger.error(
                "%s: %s messages still being processed at shutdown", self.name, len(not_done)
            )
