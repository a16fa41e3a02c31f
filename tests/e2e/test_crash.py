"""kill -9 under load: nothing acknowledged is lost, nothing is answered or counted twice.

A server of its own (real process, SQLite, then PostgreSQL) takes a burst of Messenger messages
(questions, and requests for a person that escalate to Slack) and signed conversion webhooks.
At a kill point the whole process group gets SIGKILL; the server is restarted on the same
databases, and what the platforms were not told was received is sent again, as Meta and the
shop would (with a few duplicates of what was). Then every customer must have had each answer
exactly once (one turn in the tracker, every bot message of it), each escalation exactly one
Slack thread, each sale exactly one ledger row. The one exception allowed is the bot message
whose Send API call was in flight when the process died: it may arrive twice (see
:func:`in_flight_repeat`); the test counts how often.
"""

from __future__ import annotations

import os
import random
import re
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import quote

import pytest
import requests
import sqlalchemy as sa

from bot.sales.ledger import EVENTS, EventKind, FunnelEvent, Ledger, Offer, new_ref
from connectors.conversions import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from tests import messenger_payloads as fb
from tests.e2e.conftest import (
    CONVERSION_WEBHOOK_SECRET,
    MESSENGER_APP_SECRET,
    RasaServer,
    wait_for,
)
from tests.fakes.graph_api import FakeGraphApi
from tests.fakes.slack_api import FakeSlackApi
from tests.pg import postgres_server

pytestmark = pytest.mark.server

QUESTION = "c combien la parka ?"
PERSON = "je veux parler à un humain, dossier {marker}"
SETTLE_S = 4.0
RECOVERY_TIMEOUT_S = 150.0


@dataclass
class Post:
    """One request of the burst, and whether the server acknowledged it (200)."""

    kind: str  # question, person, sale
    key: str  # PSID, or order id
    path: str
    body: bytes
    headers: dict[str, str]
    signer: Callable[[], dict[str, str]] | None = None  # headers signed anew for each attempt
    acknowledged: bool = False


@dataclass
class Outcome:
    kill_point: str
    acknowledged_before_kill: int
    sent_again: int
    extra: dict = field(default_factory=dict)


def messenger_post(kind: str, text: str) -> Post:
    psid = str(uuid.uuid4().int)[:16]
    body, headers = fb.signed(
        fb.delivery(fb.entry(fb.text(psid, text))), MESSENGER_APP_SECRET.encode()
    )
    return Post(kind, psid, "/webhooks/messenger/webhook", body, headers)


def sale_post(ref: str) -> Post:
    order = f"MB-{uuid.uuid4().hex[:8]}"
    body = (
        f'{{"ref": "{ref}", "order_id": "{order}", "amount": "189.00", "currency": "EUR"}}'
    ).encode()

    def signed() -> dict[str, str]:  # a retry is signed anew, as a shop would
        stamp = str(int(time.time()))
        secret = CONVERSION_WEBHOOK_SECRET.encode()
        return {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: sign(secret, stamp, body)}

    return Post("sale", order, "/webhooks/conversions/webhook", body, {}, signed)


def send(server: RasaServer, post: Post) -> bool:
    headers = post.signer() if post.signer else post.headers
    try:
        response = requests.post(
            f"{server.url}{post.path}", data=post.body, headers=headers, timeout=20
        )
    except requests.RequestException:
        return False
    return response.status_code == 200


def kill(server: RasaServer, how: str) -> None:
    """SIGKILL to the whole process group (a crash), or SIGTERM to serve.sh (an operator's stop)."""
    if how == "SIGTERM":
        assert server.stop(timeout=90) == 0
    else:
        os.killpg(server.proc.pid, signal.SIGKILL)
        server.proc.wait()


def log_since(server: RasaServer, offset: int) -> str:
    with server.log_path.open("rb") as log:
        log.seek(offset)
        return log.read().decode("utf-8", errors="replace")


def in_flight_repeat(texts: list[str], before_kill: list[str], expected: int) -> bool:
    """Whether ``texts`` is the full answer with one message twice: the last one Meta received
    before the kill, whose Send API call was in flight, so its sending was never recorded.

    No platform says whether such a call arrived; sending it again is the choice that never
    leaves a customer without part of an answer. Anything else (a whole answer again, a missing
    message, two repeats) fails.
    """
    if len(texts) != expected + 1 or not before_kill:
        return False
    last = len(before_kill) - 1
    return texts[last] == texts[last + 1] and texts[: last + 1] == before_kill


def replies(graph: FakeGraphApi, psid: str) -> int:
    return len(graph.texts(psid))


def user_turns(server: RasaServer, psid: str) -> int:
    sender = quote(f"messenger:{fb.PAGE_ID}:{psid}", safe=":")
    events = requests.get(f"{server.url}/conversations/{sender}/tracker", timeout=30).json()
    return sum(1 for event in events["events"] if event["event"] == "user")


def escalation_posts(slack: FakeSlackApi, marker: str) -> int:
    return sum(1 for message in slack.messages() if marker in str(message))


def expected_replies(server: RasaServer, graph: FakeGraphApi) -> dict[str, int]:
    """What one customer gets for each kind of message, measured on this server."""
    counts = {}
    for kind, text in (("question", QUESTION), ("person", PERSON.format(marker="controle"))):
        post = messenger_post(kind, text)
        assert send(server, post)
        wait_for(lambda post=post: replies(graph, post.key))
        time.sleep(SETTLE_S)
        counts[kind] = replies(graph, post.key)
    return counts


def offers(url: str, count: int, tmp) -> list[str]:
    ledger = Ledger(url, tmp / "spool")
    refs = []
    for _ in range(count):
        ref = new_ref()
        now = datetime.now(timezone.utc)
        ledger.create_offer(
            Offer(ref, "demo", "messenger", "c_crash", "parka_boreale", 18900, "EUR", now),
            FunnelEvent(f"offer:{ref}", EventKind.OFFER_MADE, "demo", now, ref=ref),
        )
        refs.append(ref)
    return refs


def crash_once(
    server: RasaServer,
    graph: FakeGraphApi,
    slack: FakeSlackApi,
    counts: dict[str, int],
    refs: list[str],
    kill_point: str,
) -> Outcome:
    """One burst, one kill at ``kill_point``, one restart; asserts the guarantees."""
    markers = {}
    posts = [messenger_post("question", QUESTION) for _ in range(16)]
    for _ in range(4):
        marker = uuid.uuid4().hex[:10]
        post = messenger_post("person", PERSON.format(marker=marker))
        markers[post.key] = marker
        posts.append(post)
    posts += [sale_post(ref) for ref in refs]
    random.shuffle(posts)  # interleaved

    acknowledged = 0
    killed = threading.Event()
    lock = threading.Lock()
    how = "SIGTERM" if kill_point.startswith("SIGTERM") else "SIGKILL"
    after = re.search(r"after (\d+) acknowledged", kill_point)
    after_acks = int(after.group(1)) if after else None
    offset = server.log_path.stat().st_size

    def fire(post: Post) -> None:
        nonlocal acknowledged
        if killed.is_set():
            return
        post.acknowledged = send(server, post)
        with lock:
            if post.acknowledged and not killed.is_set():
                acknowledged += 1
                if after_acks is not None and acknowledged >= after_acks:
                    killed.set()
                    kill(server, how)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(fire, posts))
    if not killed.is_set():  # "burst + N s": all sent, the server busy answering
        time.sleep(float(re.search(r"\+ (\d+) s", kill_point).group(1)))
        killed.set()
        kill(server, how)
    stopping_log = log_since(server, offset)
    if how == "SIGTERM":  # the action server outlived the turns that needed it
        assert "Failed to run custom action" not in stopping_log
    restart_offset = server.log_path.stat().st_size
    acked_before = sum(p.acknowledged for p in posts)
    customers = [p for p in posts if p.kind != "sale"]
    time.sleep(0.5)  # requests the fake was still reading when the server died
    at_kill = {p.key: graph.texts(p.key) for p in customers}

    server.start()
    again = [p for p in posts if not p.acknowledged]
    again += [p for p in posts if p.acknowledged][:3]  # platforms redeliver now and then
    for post in again:
        post.acknowledged = send(server, post) or post.acknowledged
    assert all(p.acknowledged for p in posts), "the restarted server refused deliveries"

    wait_for(
        lambda: all(replies(graph, p.key) >= counts[p.kind] for p in customers),
        timeout=RECOVERY_TIMEOUT_S,
    )
    wait_for(
        lambda: all(escalation_posts(slack, m) >= 1 for m in markers.values()),
        timeout=RECOVERY_TIMEOUT_S,
    )
    time.sleep(SETTLE_S)
    repeated, wrong = [], {}
    for post in customers:
        texts, before = graph.texts(post.key), at_kill[post.key]
        if len(texts) == counts[post.kind]:
            continue
        if in_flight_repeat(texts, before, counts[post.kind]):
            repeated.append(post.key)
        else:
            wrong[post.key] = (before, texts)
    assert not wrong, f"answered twice or partly at {kill_point}: {wrong}"
    assert {p.key: user_turns(server, p.key) for p in customers} == {p.key: 1 for p in customers}
    assert {m: escalation_posts(slack, m) for m in markers.values()} == {
        m: 1 for m in markers.values()
    }
    orders = [p.key for p in posts if p.kind == "sale"]
    engine = sa.create_engine(server.env["LEDGER_URL"])
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(EVENTS.c.order_id).where(EVENTS.c.order_id.in_(orders))
        ).scalars()
        recorded = sorted(rows)
    engine.dispose()
    assert recorded == sorted(orders), "a sale lost or counted twice"
    recovered = [
        line for line in log_since(server, restart_offset).splitlines() if "recovered" in line
    ]
    return Outcome(
        kill_point,
        acked_before,
        len(again),
        {"in-flight message repeated": len(repeated), "recovery log": recovered[-1:]},
    )


def own_server(tmp_path, graph, telegram, slack, database_url: str | None) -> RasaServer:
    server = RasaServer(tmp_path, graph.url, telegram.api_url, slack.url)
    if database_url:
        server.env.update(
            TRACKER_STORE_URL=database_url,
            TRACKER_STORE_DIALECT="postgresql",
            TRACKER_STORE_DB="postgres",
            LEDGER_URL=database_url,
            STATE_URL=database_url,
        )
    return server


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    with postgres_server() as url:
        if url is None:
            pytest.skip("no PostgreSQL server binaries here")
        yield url


@pytest.mark.parametrize(
    ("engine", "kill_points"),
    [
        (
            "sqlite",
            [
                "kill -9 after 3 acknowledged",
                "kill -9 after 14 acknowledged",
                "kill -9 burst + 2 s",
                "SIGTERM after 10 acknowledged",
            ],
        ),
        ("postgresql", ["kill -9 after 8 acknowledged", "kill -9 burst + 4 s"]),
    ],
)
def test_kill_9_under_load_loses_and_doubles_nothing(
    engine, kill_points, tmp_path_factory, graph, telegram, slack, request
):
    url = request.getfixturevalue("postgres") if engine == "postgresql" else None
    workdir = tmp_path_factory.mktemp(f"crash-{engine}")
    server = own_server(workdir, graph, telegram, slack, url)
    server.start()
    try:
        counts = expected_replies(server, graph)
        ledger_url = server.env["LEDGER_URL"]
        for kill_point in kill_points:
            outcome = crash_once(
                server, graph, slack, counts, offers(ledger_url, 4, workdir), kill_point
            )
            print(f"{engine}: {outcome}")  # shown with -s; the figures of docs/benchmarks.md
    finally:
        if server.proc and server.proc.poll() is None:
            server.stop()
