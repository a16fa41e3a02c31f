"""The whole funnel through the running server: purchase message, offer with a ref, the shop's
signed webhook, and the report that bills it. Bad or repeated webhooks change nothing."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from bot.sales.ledger import new_ref
from connectors.conversions import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from tests.e2e.conftest import CONVERSION_WEBHOOK_SECRET, ROOT, RasaServer

pytestmark = pytest.mark.server


def post_conversion(
    server: RasaServer,
    payload: dict,
    secret: str = CONVERSION_WEBHOOK_SECRET,
    at: float | None = None,
    raw: bytes | None = None,
) -> requests.Response:
    body = raw if raw is not None else json.dumps(payload).encode()
    ts = str(int(at if at is not None else time.time()))
    return requests.post(
        f"{server.url}/webhooks/conversions/webhook",
        data=body,
        headers={
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: ts,
            SIGNATURE_HEADER: sign(secret.encode(), ts, body),
        },
        timeout=30,
    )


def report(server: RasaServer) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "bot", "report", "--brand", "demo", "--format", "json"],
        cwd=ROOT,
        env={**os.environ, **server.env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def checkout_ref(replies: list[dict]) -> str:
    text = "\n".join(r.get("text", "") for r in replies)
    url = re.search(r"https://\S+", text).group(0)
    return parse_qs(urlparse(url).query)["ref"][0]


def test_purchase_to_billed_conversion(server: RasaServer, sender):
    before = report(server)
    server.say("Bonjour, je veux acheter la parka noire en M", sender)
    ref = checkout_ref(server.say("oui", sender))

    order = {"ref": ref, "order_id": f"MB-{sender[:8]}", "amount": "189.00", "currency": "EUR"}
    first = post_conversion(server, order)
    assert (first.status_code, first.json()) == (200, {"status": "recorded"})

    # Each of these changes nothing.
    assert post_conversion(server, order).json() == {"status": "duplicate"}
    assert post_conversion(server, order, secret="wrong-secret-0123456789").status_code == 401
    late = {**order, "order_id": "MB-stale"}
    assert post_conversion(server, late, at=time.time() - 600).status_code == 401
    unknown = {**order, "ref": new_ref(), "order_id": "MB-unknown"}
    assert post_conversion(server, unknown).status_code == 404
    assert post_conversion(server, {}, raw=b"{not json").status_code == 400
    big = {**order, "order_id": "MB-big", "pad": "x" * 70_000}
    assert post_conversion(server, big).status_code == 413

    deadline = time.monotonic() + 10  # funnel facts are written off the reply path
    while True:
        after = report(server)
        if after["purchase_intents"] > before["purchase_intents"] or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert after["conversions"] == before["conversions"] + 1
    revenue = float(after["revenue"]) - float(before["revenue"])
    assert revenue == pytest.approx(189.00)
    # demo brand: 2.50 per sale + 4 % of revenue → 2.50 + 7.56
    assert float(after["fee"]) - float(before["fee"]) == pytest.approx(10.06, abs=0.011)
    assert after["offers"] == before["offers"] + 1
    assert after["purchase_intents"] > before["purchase_intents"]
    assert after["conversations"] > before["conversations"]
    assert after["median_first_response_s"] is not None
