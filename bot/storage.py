"""What every SQL store of Causette shares: engines with bounded waits, versioned schemas.

The ledger (:mod:`bot.sales.ledger`), the channel state (:mod:`bot.channels.state`) and the
escalations (:mod:`bot.handoff.escalations`) each own their tables and a version table of their
own; this module creates engines for their URLs (SQLite by default, PostgreSQL in production) and
applies their migrations, once per process, in order.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import queue
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import QueuePool

logger = logging.getLogger(__name__)

T = TypeVar("T")

Migration = tuple[int, str, Callable[[Connection], None]]


class SchemaTooNew(RuntimeError):
    """The database was migrated by a newer Causette than this one."""


def version_table(name: str, metadata: sa.MetaData) -> sa.Table:
    """A table recording which migrations a schema has had (one per store)."""
    return sa.Table(
        name,
        metadata,
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("applied_at", sa.DateTime, nullable=False),
    )


def schema_version(engine: Engine, versions: sa.Table) -> int:
    """The version the store's schema is at (0 if it has never been migrated)."""
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table(versions.name):
            return 0
        return connection.execute(sa.select(sa.func.max(versions.c.version))).scalar() or 0


def migrate(engine: Engine, migrations: Iterable[Migration], versions: sa.Table) -> int:
    """Apply every migration the database lacks, each in its own transaction; new version.

    Args:
        engine: The store's database.
        migrations: ``(version, description, apply)`` in increasing version order.
        versions: The store's version table (:func:`version_table`).

    Raises:
        SchemaTooNew: The database is at a version this code does not know.
    """
    migrations = tuple(migrations)
    latest = migrations[-1][0] if migrations else 0
    with engine.begin() as connection:
        versions.create(connection, checkfirst=True)
    current = schema_version(engine, versions)
    if current > latest:
        raise SchemaTooNew(
            f"the {versions.name} of this database is at version {current}, newer than this "
            f"code ({latest}): upgrade Causette"
        )
    for version, description, apply in migrations:
        if version <= current:
            continue
        with engine.begin() as connection:
            apply(connection)
            connection.execute(
                versions.insert().values(
                    version=version,
                    description=description,
                    applied_at=datetime.now(timezone.utc).replace(tzinfo=None),
                )
            )
        logger.info("%s: migrated to version %s (%s)", versions.name, version, description)
        current = version
    return current


class SchemaOnce:
    """Brings a store's tables up to date once per process, on first use (thread-safe)."""

    def __init__(
        self,
        engine: Engine,
        migrations: Iterable[Migration],
        versions: sa.Table,
        unavailable: type[Exception],
    ) -> None:
        self.engine = engine
        self.migrations = tuple(migrations)
        self.versions = versions
        self.unavailable = unavailable
        self._ready = False
        self._lock = threading.Lock()

    def ensure(self) -> None:
        """Migrate if not done yet; raises ``unavailable`` if the database does not answer."""
        if self._ready:
            return
        with self._lock:
            if not self._ready:
                try:
                    migrate(self.engine, self.migrations, self.versions)
                except SQLAlchemyError as error:
                    message = f"{self.versions.name}: database unavailable: {error}"
                    raise self.unavailable(message) from error
                self._ready = True


def make_engine(url: str, timeout_s: float = 2.0) -> Engine:
    """An engine for ``url`` with bounded waits; SQLite files get WAL mode."""
    parsed = sa.engine.make_url(url)
    connect_args: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        connect_args["timeout"] = timeout_s
        # A pooled connection may be used by another thread than the one that opened it (one
        # at a time: the pool hands it out).
        connect_args["check_same_thread"] = False
    elif parsed.get_backend_name() == "postgresql":
        connect_args["connect_timeout"] = max(1, int(timeout_s))
        connect_args["options"] = f"-c statement_timeout={int(timeout_s * 1000)}"
    options: dict[str, Any] = {"pool_pre_ping": True}
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        # SQLAlchemy 1.4 opens a new SQLite connection per use by default (NullPool); reusing
        # them makes a write about five times faster (docs/benchmarks.md).
        options = {"poolclass": QueuePool, "pool_size": 5, "max_overflow": 5}
    engine = sa.create_engine(url, future=True, connect_args=connect_args, **options)
    if parsed.get_backend_name() == "sqlite":

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

    return engine


def naive_utc(moment: datetime | None = None) -> datetime:
    """``moment`` (now by default) as the naive UTC datetime the stores keep."""
    if moment is None:
        return datetime.now(timezone.utc).replace(tzinfo=None)
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def backoff(attempts: int, cap: timedelta = timedelta(minutes=5)) -> timedelta:
    """How long leased work waits after ``attempts`` failures: 2, 4, 8 … seconds, up to ``cap``."""
    return timedelta(seconds=min(cap.total_seconds(), 2.0 ** max(1, attempts)))


def database_url(variable: str, var_dir: Path, file_name: str) -> str:
    """The URL in the environment variable ``variable``, else a SQLite file under ``var_dir``."""
    return os.environ.get(variable, "").strip() or f"sqlite:///{var_dir / file_name}"


class Writer:
    """One thread that runs a process's writes to one database, urgent ones first.

    SQLite lets one connection write at a time and makes the others sleep and retry (up to 100 ms
    a try); writing from a single thread per process instead makes each write wait only for the
    one running. Urgent work (a webhook acknowledging a delivery) goes before the rest (turns
    marking their progress), in arrival order within each kind.
    """

    def __init__(self, name: str) -> None:
        self._queue: queue.PriorityQueue = queue.PriorityQueue()
        self._order = itertools.count()
        self._thread = threading.Thread(target=self._work, name=name, daemon=True)
        self._thread.start()

    def submit(self, call: Callable[..., T], *args: Any, urgent: bool = False) -> Future[T]:
        future: Future[T] = Future()
        self._queue.put((0 if urgent else 1, next(self._order), future, call, args))
        return future

    async def run(self, call: Callable[..., T], *args: Any, urgent: bool = False) -> T:
        """``call(*args)`` on the writer thread, awaited."""
        return await asyncio.wrap_future(self.submit(call, *args, urgent=urgent))

    def _work(self) -> None:
        while True:
            _, _, future, call, args = self._queue.get()
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(call(*args))
            except BaseException as error:  # handed to the waiting coroutine
                future.set_exception(error)


_WRITERS: dict[str, Writer] = {}
_WRITERS_LOCK = threading.Lock()


def writer_for(url: str) -> Writer:
    """The process's writer for the database at ``url`` (one per database)."""
    with _WRITERS_LOCK:
        if url not in _WRITERS:
            _WRITERS[url] = Writer(f"writer-{len(_WRITERS)}")
        return _WRITERS[url]
