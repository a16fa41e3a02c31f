"""Webhook benchmark: how fast Messenger gets its 200, whatever the NLU takes.

A server process mounts the real Messenger channel (``connectors.messenger``) on Sanic, as Rasa
does, with a stand-in for Rasa that takes ``--nlu-seconds`` per message (2 s by default: slower
than our NLU) and answers through the real Send API client to a fake Graph API on loopback, which
runs in a third process so that neither it nor the load generator share the others' CPU time.
``--senders`` concurrent customers (20) each post one untimed warm-up message, then
``--messages`` signed deliveries one after the other; we time each POST until its 200. Every
message must then be answered exactly once.

Timing never goes into a test; the table replaces the webhook section of docs/benchmarks.md.

Usage: .venv/bin/python bench/webhook_bench.py [--senders 20] [--messages 25] [--nlu-seconds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
import httpx  # noqa: E402

from bench.benchmarks_doc import measured_by, write_section  # noqa: E402
from tests import messenger_payloads as fb  # noqa: E402
from tests.fakes.graph_api import FakeGraphApi  # noqa: E402

APP_SECRET = "bench-app-secret-0123456789abcdef"
TOKEN = "bench-page-token-0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(port: int, graph_url: str, nlu_seconds: float) -> None:
    """The server process: Sanic + the Messenger blueprint + a slow stand-in for Rasa."""
    from rasa.core.channels.channel import UserMessage
    from sanic import Sanic

    from bot.channels.state import ChannelState
    from connectors.messenger import MessengerInput
    from connectors.messenger_config import MessengerConfig

    config = MessengerConfig.from_values(
        fb.PAGE_ID, TOKEN, APP_SECRET, "bench-verify-0123456789", graph_url
    )
    channel = MessengerInput(config, ChannelState(os.environ["STATE_URL"]))

    async def slow_rasa(message: UserMessage) -> None:
        await asyncio.sleep(nlu_seconds)
        await message.output_channel.send_text_message(message.sender_id, f"re: {message.text}")

    app = Sanic("webhook_bench")
    app.blueprint(channel.blueprint(slow_rasa), url_prefix="/webhooks/messenger")
    app.run(host="127.0.0.1", port=port, access_log=False, motd=False, workers=1)


async def customer(client: aiohttp.ClientSession, url: str, psid: str, count: int) -> list[float]:
    timings = []
    for i in range(count):
        payload = fb.delivery(fb.entry(fb.text(psid, f"message {i} de {psid}")))
        body, headers = fb.signed(payload, APP_SECRET.encode())
        start = time.perf_counter()
        async with client.post(url, data=body, headers=headers) as answer:
            text = await answer.text()
        timings.append(time.perf_counter() - start)
        assert answer.status == 200, text
    return timings


async def load(url: str, senders: int, messages: int) -> list[float]:
    # aiohttp, not httpx, for the load: httpx's own CPU cost per request made the client the
    # bottleneck (p50 82 ms for a bare health check under 20 concurrent requests, 5.5 ms with
    # aiohttp against the same server).
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as client:
        psids = [f"99{n:014d}" for n in range(senders)]
        # Warm-up, not timed: one message per sender opens its connection (Facebook keeps them
        # alive) and the server's first-use costs are paid.
        await asyncio.gather(*(customer(client, url, p, 1) for p in psids))
        results = await asyncio.gather(*(customer(client, url, p, messages) for p in psids))
    return [t for timings in results for t in timings]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def write_doc(args: argparse.Namespace, timings: list[float], answered: int, took: float) -> str:
    ms = [t * 1000 for t in timings]
    return write_section(
        "webhook-bench",
        [
            measured_by("bench-webhook"),
            "",
            "| senders | POSTs | stand-in NLU s/message | p50 ms | p95 ms | p99 ms | max ms "
            "| answered | all answered after s |",
            "|---|---|---|---|---|---|---|---|---|",
            f"| {args.senders} | {len(ms)} | {args.nlu_seconds:g} | "
            f"{statistics.median(ms):.1f} | {percentile(ms, 0.95):.1f} | "
            f"{percentile(ms, 0.99):.1f} | {max(ms):.1f} | {answered} | {took:.1f} |",
        ],
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--senders", type=int, default=20)
    parser.add_argument("--messages", type=int, default=25)
    parser.add_argument("--nlu-seconds", type=float, default=2.0)
    parser.add_argument("--serve", nargs=2, metavar=("PORT", "GRAPH_URL"), help=argparse.SUPPRESS)
    parser.add_argument("--graph", metavar="URL_FILE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(int(args.serve[0]), args.serve[1], args.nlu_seconds)
        return 0
    if args.graph:
        with FakeGraphApi({TOKEN}).running() as graph:
            Path(args.graph).write_text(graph.url, encoding="utf-8")
            while True:
                time.sleep(3600)

    with tempfile.TemporaryDirectory() as tmp:
        url_file = Path(tmp) / "graph.url"
        graph_proc = subprocess.Popen([sys.executable, __file__, "--graph", str(url_file)])
        while not url_file.exists() or not url_file.read_text():
            time.sleep(0.1)
        graph_url = url_file.read_text()
        count_url = graph_url.rsplit("/", 1)[0] + "/_fake/count"

        def answered_so_far() -> int:
            return httpx.get(count_url).json()["messages"]

        port = free_port()
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "STATE_URL": f"sqlite:///{tmp}/state.sqlite3",
            "PSEUDONYMISATION_KEY": "bench-pseudonymisation-key-0123456789",
            "CAUSETTE_VAR_DIR": tmp,
        }
        server = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--nlu-seconds",
                str(args.nlu_seconds),
                "--serve",
                str(port),
                graph_url,
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(Path(tmp) / "server.log", "w"),
        )
        try:
            url = f"http://127.0.0.1:{port}/webhooks/messenger/webhook"
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/webhooks/messenger/").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            start = time.monotonic()
            timings = asyncio.run(load(url, args.senders, args.messages))
            expected = args.senders * (args.messages + 1)  # the warm-up messages too
            while answered_so_far() < expected and time.monotonic() - start < 600:
                time.sleep(0.2)
            took = time.monotonic() - start
            answered = answered_so_far()
        finally:
            server.terminate()
            server.wait(timeout=30)
            graph_proc.terminate()
            graph_proc.wait(timeout=30)
    print(write_doc(args, timings, answered, took))
    if answered != expected:
        print(f"only {answered} of {expected} messages were answered", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
