"""Dialogue benchmark: the multi-turn conversation sets of tests/dialogue through the real server.

Starts the real server as the end-to-end tests do (`scripts/serve.sh` on free loopback ports, fakes
of the Graph, Bot and Slack APIs), or talks to a running one (``--url``). Plays every conversation
of every set (``tests/dialogue/<set>.yml``, the example aside) turn by turn with
tests/dialogue/suite.py, prints each wrong turn and the tables, and replaces the dialogue section
of docs/benchmarks.md: per set, the share of conversations fully right and of turns right, per
theme and overall. With ``--set`` or ``--only`` nothing is written.

Usage: .venv/bin/python bench/dialogue_bench.py [--url http://127.0.0.1:5005] [--set team]
       [--only CONVERSATION_ID]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests

from bench.benchmarks_doc import measured_by, write_section
from tests.dialogue.suite import (
    Conversation,
    ConversationResult,
    SuiteError,
    conversation_files,
    describe_wrong_turns,
    load_conversations,
    play,
    summarise,
    summary_table,
    tables_by_source,
)
from tests.e2e.conftest import (
    MESSENGER_PAGE_TOKEN,
    SLACK_BOT_TOKEN,
    TELEGRAM_BOT_TOKEN,
    RasaServer,
)
from tests.fakes.graph_api import FakeGraphApi
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.telegram_api import FakeTelegramApi

SECTION = "dialogue-bench"
HEADING = """## Multi-turn conversations (`make bench-dialogue`)

Each conversation set of `tests/dialogue/` (`<set>.yml`) is played through the real server, one
fresh sender per conversation. A turn is right when the reply
shows every expected tag (tags are response and action names, `tests/dialogue/suite.py`), no
forbidden one (fallback and handover always, unless expected) and every expected mention; a
conversation is fully right when all its turns are."""


@contextmanager
def running_server() -> Iterator[str]:
    """The real server with its fakes, started in a temporary folder; its URL."""
    with (
        tempfile.TemporaryDirectory() as tmp,
        FakeGraphApi({MESSENGER_PAGE_TOKEN}).running() as graph,
        FakeTelegramApi(TELEGRAM_BOT_TOKEN) as telegram,
        FakeSlackApi(SLACK_BOT_TOKEN) as slack,
    ):
        server = RasaServer(Path(tmp), graph.url, telegram.api_url, slack.url)
        server.start()
        try:
            yield server.url
        finally:
            server.stop()


def chosen_conversations(sets: list[str] | None, only: list[str] | None) -> list[Conversation]:
    """The conversations to play: every set, or the ``--set`` ones, narrowed to ``--only`` ids."""
    files = conversation_files()
    if sets:
        unknown = sorted(set(sets) - {path.stem for path in files})
        if unknown:
            available = ", ".join(path.stem for path in files) or "none"
            raise SystemExit(f"no set {', '.join(unknown)} in tests/dialogue (sets: {available})")
        files = [path for path in files if path.stem in sets]
    try:
        conversations = load_conversations(files)
    except SuiteError as error:
        raise SystemExit(f"cannot load the conversations: {error}") from error
    if only:
        conversations = [c for c in conversations if c.id in only]
    if not conversations:
        raise SystemExit("no conversation to play")
    return conversations


def play_all(conversations: list[Conversation], url: str) -> list[ConversationResult]:
    results = []
    with requests.Session() as session:
        for number, conversation in enumerate(conversations, start=1):
            result = play(conversation, url, session)
            verdict = "right" if result.fully_right else f"{len(result.wrong_turns)} wrong turn(s)"
            where = f"{conversation.source}/{conversation.id}"
            print(f"[{number}/{len(conversations)}] {where}: {verdict}", flush=True)
            results.append(result)
    return results


def write_doc(results: list[ConversationResult]) -> str:
    summary = summarise(results)
    note = f"{summary.overall.conversations} conversations, {summary.overall.turns} turns"
    return write_section(
        SECTION,
        [
            measured_by("bench-dialogue", note),
            "",
            *tables_by_source(results),
            "",
            "All sets:",
            "",
            *summary_table(summary, by="source"),
        ],
        heading=HEADING,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running server (default: start one on free ports)")
    parser.add_argument("--set", action="append", dest="sets", metavar="NAME", help="only this set")
    parser.add_argument("--only", action="append", metavar="ID", help="only this conversation")
    args = parser.parse_args()
    conversations = chosen_conversations(args.sets, args.only)
    if args.url:
        results = play_all(conversations, args.url)
    else:
        with running_server() as url:
            results = play_all(conversations, url)
    wrong = [line for result in results for line in describe_wrong_turns(result)]
    print("\n".join(["", "Wrong turns:" if wrong else "No wrong turn.", *wrong, ""]))
    print(
        "\n".join([*tables_by_source(results), "", *summary_table(summarise(results), by="source")])
    )
    if args.sets or args.only:
        print("\n(--set or --only: docs/benchmarks.md left as it was)")
    else:
        write_doc(results)
        print("\nWritten to docs/benchmarks.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
