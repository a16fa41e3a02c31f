"""One Rasa server (with its action server) shared by every end-to-end test of the session.

It is started with `scripts/serve.sh`, exactly as `make serve` starts it, on free loopback ports and
with a SQLite tracker store in a temporary folder.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.fakes.graph_api import FakeGraphApi
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.telegram_api import FakeTelegramApi

ROOT = Path(__file__).parents[2]
STARTUP_TIMEOUT_S = 240
PSEUDONYMISATION_KEY = "e2e-pseudonymisation-key-0123456789"
CONVERSION_WEBHOOK_SECRET = "e2e-conversion-secret-0123456789"
MESSENGER_PAGE_ID = "104857600000001"
MESSENGER_PAGE_TOKEN = "e2e-page-access-token-0123456789"
MESSENGER_APP_SECRET = "e2e-app-secret-0123456789abcdef"
MESSENGER_VERIFY_TOKEN = "e2e-verify-token-0123456789"
TELEGRAM_BOT_TOKEN = "7000000001:AAE2eTestTokenForCausette0123456789"
TELEGRAM_SECRET_TOKEN = "e2e_telegram-secret_0123456789"
SLACK_BOT_TOKEN = "xoxb-e2e-0000000001-causette"
SLACK_SIGNING_SECRET = "e2e-slack-signing-secret-0123456789"


def wait_for(condition: Callable[[], Any], timeout: float = 90.0) -> Any:
    """Poll ``condition`` until it returns something true (returned), or fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for the bot")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RasaServer:
    """A running `scripts/serve.sh` that can be restarted."""

    def __init__(self, workdir: Path, graph_url: str, telegram_url: str, slack_url: str) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.action_port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "serve.log"
        self.proc: subprocess.Popen | None = None
        self.env = {
            **os.environ,
            "PORT": str(self.port),
            "ACTION_PORT": str(self.action_port),
            "HOST": "127.0.0.1",
            "SANIC_HOST": "127.0.0.1",
            "TRACKER_STORE_URL": f"sqlite:///{workdir / 'tracker.sqlite3'}",
            "TRACKER_STORE_DIALECT": "sqlite",
            "TRACKER_STORE_DB": "rasa",
            "RASA_TELEMETRY_ENABLED": "false",
            "PYTHONPATH": str(ROOT),
            "PSEUDONYMISATION_KEY": PSEUDONYMISATION_KEY,
            "CONVERSION_WEBHOOK_SECRET": CONVERSION_WEBHOOK_SECRET,
            "LEDGER_URL": f"sqlite:///{workdir / 'ledger.sqlite3'}",
            "CAUSETTE_VAR_DIR": str(workdir / "var"),
            "STATE_URL": f"sqlite:///{workdir / 'state.sqlite3'}",
            "MESSENGER_PAGE_ID": MESSENGER_PAGE_ID,
            "MESSENGER_PAGE_ACCESS_TOKEN": MESSENGER_PAGE_TOKEN,
            "MESSENGER_APP_SECRET": MESSENGER_APP_SECRET,
            "MESSENGER_VERIFY_TOKEN": MESSENGER_VERIFY_TOKEN,
            "MESSENGER_GRAPH_URL": graph_url,
            "TELEGRAM_BOT_TOKEN": TELEGRAM_BOT_TOKEN,
            "TELEGRAM_SECRET_TOKEN": TELEGRAM_SECRET_TOKEN,
            "TELEGRAM_API_URL": telegram_url,
            "SLACK_BOT_TOKEN": SLACK_BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SLACK_SIGNING_SECRET,
            "SLACK_API_URL": slack_url,
        }

    def start(self) -> None:
        log = self.log_path.open("a")
        self.proc = subprocess.Popen(
            [str(ROOT / "scripts" / "serve.sh")],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"serve.sh exited early:\n{self.log_tail()}")
            try:
                ready = requests.get(f"{self.url}/status", timeout=2).status_code == 200
                actions = (
                    requests.get(
                        f"http://127.0.0.1:{self.action_port}/health", timeout=2
                    ).status_code
                    == 200
                )
                if ready and actions:
                    return
            except requests.RequestException:
                pass
            time.sleep(1)
        raise RuntimeError(f"server not ready after {STARTUP_TIMEOUT_S}s:\n{self.log_tail()}")

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM, as an operator or a process manager would; returns serve.sh's exit code."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            raise

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""

    def say(self, text: str, sender: str) -> list[dict]:
        """Send one message through the REST channel; the bot's replies."""
        response = requests.post(
            f"{self.url}/webhooks/rest/webhook",
            json={"sender": sender, "message": text},
            timeout=120,
        )
        response.raise_for_status()
        return response.json()

    def tracker(self, sender: str) -> dict:
        response = requests.get(f"{self.url}/conversations/{sender}/tracker", timeout=30)
        response.raise_for_status()
        return response.json()


@pytest.fixture(scope="session")
def graph() -> FakeGraphApi:
    """The fake Graph API the server's Messenger channel sends to (shared by the session)."""
    with FakeGraphApi({MESSENGER_PAGE_TOKEN}).running() as fake:
        yield fake


@pytest.fixture(scope="session")
def telegram() -> FakeTelegramApi:
    """The fake Telegram Bot API the server's Telegram channel calls (shared by the session)."""
    with FakeTelegramApi(TELEGRAM_BOT_TOKEN) as fake:
        yield fake


@pytest.fixture(scope="session")
def slack() -> FakeSlackApi:
    """The fake Slack Web API community managers' escalations go to (shared by the session)."""
    with FakeSlackApi(SLACK_BOT_TOKEN) as fake:
        yield fake


@pytest.fixture(scope="session")
def server(tmp_path_factory, graph, telegram, slack) -> RasaServer:
    instance = RasaServer(
        tmp_path_factory.mktemp("rasa-server"), graph.url, telegram.api_url, slack.url
    )
    instance.start()
    yield instance
    if instance.proc and instance.proc.poll() is None:
        instance.stop()


@pytest.fixture
def sender() -> str:
    return f"e2e-{uuid.uuid4().hex[:12]}"
