"""Door benchmark: what refused bodies cost the real server, in memory and time.

Starts the real server (`scripts/serve.sh`, every channel on, fakes of the Graph, Bot and Slack
APIs on loopback), reads the Rasa process's resident memory, then sends each inbound endpoint
``--rounds`` bodies announced as 50 MB (refused from their headers), chunked bodies of 4 MB
(refused once past the limit) and the whole malformed-request table of the tests, and reads the
memory again. Every answer must be the expected 4xx.

Timing and memory never go into a test; the table replaces the door section of
docs/benchmarks.md.

Usage: .venv/bin/python bench/door_bench.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from bench.benchmarks_doc import measured_by, write_section  # noqa: E402
from tests import malformed_payloads as bad  # noqa: E402
from tests.e2e.conftest import (  # noqa: E402
    CONVERSION_WEBHOOK_SECRET,
    MESSENGER_APP_SECRET,
    MESSENGER_PAGE_TOKEN,
    SLACK_BOT_TOKEN,
    SLACK_SIGNING_SECRET,
    TELEGRAM_BOT_TOKEN,
    TELEGRAM_SECRET_TOKEN,
    RasaServer,
)
from tests.e2e.test_robustness import ENDPOINTS, FIFTY_MB, post_chunked, post_declaring  # noqa: E402
from tests.fakes.graph_api import FakeGraphApi  # noqa: E402
from tests.fakes.slack_api import FakeSlackApi  # noqa: E402
from tests.fakes.telegram_api import FakeTelegramApi  # noqa: E402


def rasa_pid(serve_pid: int) -> int:
    """The `rasa run --enable-api` process started by serve.sh."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().split()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if int(stat[3]) == serve_pid and "--enable-api" in command:
            return int(entry.name)
    raise RuntimeError("no Rasa server process under serve.sh")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def write_doc(rows: list[str], rounds: int) -> str:
    return write_section(
        "door-bench",
        [
            measured_by("bench-door", f"{rounds} rounds per endpoint"),
            "",
            "| what was sent | requests | answers | Rasa RSS before MiB | after MiB | growth MiB "
            "| median answer ms |",
            "|---|---|---|---|---|---|---|",
            *rows,
        ],
    )


def measure(pid: int, label: str, attempts: list) -> str:
    """Run ``attempts`` (callables returning (status, expected)); one row of the table."""
    before = rss_mib(pid)
    took, wrong, statuses = [], [], set()
    for attempt in attempts:
        start = time.perf_counter()
        status, expected = attempt()
        took.append((time.perf_counter() - start) * 1000)
        statuses.add(status)
        if status != expected:
            wrong.append((status, expected))
    time.sleep(1.0)
    after = rss_mib(pid)
    if wrong:
        raise SystemExit(f"{label}: unexpected answers {wrong[:5]}")
    answers = ", ".join(str(s) for s in sorted(statuses))
    return (
        f"| {label} | {len(attempts)} | {answers} | {before:.0f} | {after:.0f} | "
        f"{after - before:+.1f} | {statistics.median(took):.1f} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    cases = [
        *bad.messenger(MESSENGER_APP_SECRET.encode()),
        *bad.telegram(TELEGRAM_SECRET_TOKEN),
        *bad.slack(SLACK_SIGNING_SECRET),
        *bad.conversions(CONVERSION_WEBHOOK_SECRET.encode()),
    ]
    with (
        tempfile.TemporaryDirectory() as tmp,
        FakeGraphApi({MESSENGER_PAGE_TOKEN}).running() as graph,
        FakeTelegramApi(TELEGRAM_BOT_TOKEN) as telegram,
        FakeSlackApi(SLACK_BOT_TOKEN) as slack,
    ):
        server = RasaServer(Path(tmp), graph.url, telegram.api_url, slack.url)
        server.start()
        try:
            pid = rasa_pid(server.proc.pid)
            requests.get(f"{server.url}/status", timeout=10)
            rows = [
                measure(
                    pid,
                    "body announced as 50 MB, 64 KB sent",
                    [
                        lambda path=path: (post_declaring(server, path, FIFTY_MB), 413)
                        for path in ENDPOINTS
                        for _ in range(args.rounds)
                    ],
                ),
                measure(
                    pid,
                    "chunked body, 4 MB sent",
                    [
                        lambda path=path: (post_chunked(server, path, 4 * 1024 * 1024), 413)
                        for path in ENDPOINTS
                        for _ in range(args.rounds)
                    ],
                ),
                measure(
                    pid,
                    f"malformed-request table ({len(cases)} cases)",
                    [
                        lambda case=case: (
                            requests.post(
                                f"{server.url}/webhooks/{case.path}",
                                data=case.body,
                                headers=case.headers,
                                timeout=30,
                            ).status_code,
                            case.status,
                        )
                        for case in cases
                        for _ in range(args.rounds)
                    ],
                ),
            ]
        finally:
            server.stop()
    print(write_doc(rows, args.rounds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
