"""End-to-end on Messenger: signed webhooks into the real server, answers out to a fake Graph API.

The server runs `scripts/serve.sh` with the MESSENGER_* variables set, so `make serve` enabled
the channel exactly as in production; its Send API calls go to the loopback fake.
"""

from __future__ import annotations

import time
import uuid
from urllib.parse import quote

import pytest
import requests

from tests import messenger_payloads as fb
from tests.e2e.conftest import MESSENGER_APP_SECRET, MESSENGER_VERIFY_TOKEN, RasaServer, wait_for
from tests.fakes.graph_api import FakeGraphApi

pytestmark = pytest.mark.server

WEBHOOK = "/webhooks/messenger/webhook"


@pytest.fixture
def psid() -> str:
    return str(uuid.uuid4().int)[:16]


def post(
    server: RasaServer, payload: dict, secret: str = MESSENGER_APP_SECRET
) -> requests.Response:
    body, headers = fb.signed(payload, secret.encode())
    return requests.post(f"{server.url}{WEBHOOK}", data=body, headers=headers, timeout=10)


def replies_after(graph: FakeGraphApi, psid: str, count: int) -> list[str]:
    """Wait until ``psid`` has more than ``count`` messages and the bot has stopped typing."""
    wait_for(lambda: len(graph.texts(psid)) > count)
    time.sleep(1.0)  # the rest of this turn's answers
    return graph.texts(psid)[count:]


def tracker(server: RasaServer, psid: str) -> dict:
    sender = quote(f"messenger:{fb.PAGE_ID}:{psid}", safe=":")
    return requests.get(f"{server.url}/conversations/{sender}/tracker", timeout=30).json()


def test_subscription_handshake(server: RasaServer):
    params = {"hub.mode": "subscribe", "hub.challenge": "1158201444"}
    ok = requests.get(
        f"{server.url}{WEBHOOK}", params={**params, "hub.verify_token": MESSENGER_VERIFY_TOKEN}
    )
    assert (ok.status_code, ok.text) == (200, "1158201444")
    wrong = requests.get(f"{server.url}{WEBHOOK}", params={**params, "hub.verify_token": "nope"})
    assert wrong.status_code == 403


def test_a_customer_message_gets_the_bots_answer_on_messenger(server, graph, psid):
    response = post(
        server, fb.delivery(fb.entry(fb.text(psid, "Je veux acheter votre sweat à capuche")))
    )
    assert (response.status_code, response.text) == (200, "EVENT_RECEIVED")
    answers = replies_after(graph, psid, 0)
    assert any("assistant automatique" in a for a in answers)  # the disclosure first
    assert any("Sweat à capuche Brume" in a for a in answers)
    offer = graph.messages(psid)[-1]
    assert offer["messaging_type"] == "RESPONSE"
    [yes, _no] = offer["message"]["quick_replies"]

    # The customer taps our "Oui" quick reply: its sealed payload is an intent again.
    post(server, fb.delivery(fb.entry(fb.quick_reply(psid, yes["title"], yes["payload"]))))
    link = replies_after(graph, psid, len(answers))
    assert any("boutique.maison-brume.example" in a and "ref=" in a for a in link)
    assert graph.refused == []


def test_batch_of_three_events_from_two_senders_each_answered_in_order(server, graph, psid):
    other = str(uuid.uuid4().int)[:16]
    payload = fb.delivery(
        fb.entry(
            fb.text(psid, "c'est combien le jean Gaston ?"),
            fb.text(other, "ma commande n'est toujours pas arrivée"),
        ),
        fb.entry(fb.text(psid, "vous livrez à Lausanne ?")),
    )
    assert post(server, payload).status_code == 200
    wait_for(lambda: any("numéro de commande" in t for t in graph.texts(other)))
    wait_for(lambda: any("Suisse" in t for t in graph.texts(psid)))
    mine = graph.texts(psid)
    price = next(i for i, t in enumerate(mine) if "89" in t)
    delivery = next(i for i, t in enumerate(mine) if "Suisse" in t)
    assert price < delivery


def test_echoes_receipts_and_redeliveries_get_no_answer(server, graph, psid):
    first = fb.text(psid, "bonjour", mid=f"m_{psid}_1")
    post(server, fb.delivery(fb.entry(first)))
    before = len(replies_after(graph, psid, 0))
    noise = fb.delivery(
        fb.entry(
            fb.echo(psid, "Bonjour !"),
            fb.echo_attachment(psid),
            fb.read_receipt(psid),
            fb.delivery_receipt(psid),
            first,  # Facebook redelivers a mid it thinks we missed
        )
    )
    assert post(server, noise).status_code == 200
    # A real message after the noise: its answer comes after anything the noise caused.
    post(server, fb.delivery(fb.entry(fb.text(psid, "merci beaucoup"))))
    after = replies_after(graph, psid, before)
    assert len(after) == 1, after
    user_turns = [e for e in tracker(server, psid)["events"] if e["event"] == "user"]
    assert [e["text"] for e in user_turns] == ["bonjour", "merci beaucoup"]


@pytest.mark.parametrize("secret", [None, "forged-secret-0123456789abcdef"])
def test_unsigned_or_forged_delivery_is_refused_and_processed_nowhere(server, graph, psid, secret):
    payload = fb.delivery(fb.entry(fb.text(psid, "bonjour")))
    body, headers = fb.signed(payload, (secret or MESSENGER_APP_SECRET).encode())
    if secret is None:
        del headers["X-Hub-Signature-256"]
    response = requests.post(f"{server.url}{WEBHOOK}", data=body, headers=headers, timeout=10)
    assert response.status_code == 403
    time.sleep(2)
    assert graph.texts(psid) == []
    assert [e for e in tracker(server, psid)["events"] if e["event"] == "user"] == []


def test_restart_typed_by_a_customer_is_text_not_a_command(server, graph, psid):
    post(server, fb.delivery(fb.entry(fb.text(psid, "je cherche des baskets"))))
    count = len(replies_after(graph, psid, 0))
    post(server, fb.delivery(fb.entry(fb.text(psid, "/restart"))))
    replies_after(graph, psid, count)
    state = tracker(server, psid)
    assert state["latest_message"]["intent"]["name"] != "restart"
    assert not [e for e in state["events"] if e["event"] == "restart"]
    assert state["slots"]["product"] == "baskets_lumiere"  # the conversation was not reset


def test_a_photo_gets_the_text_only_answer_and_a_like_says_yes(server, graph, psid):
    post(server, fb.delivery(fb.entry(fb.image(psid))))
    answers = replies_after(graph, psid, 0)
    assert any("texte" in a for a in answers)
    count = len(graph.texts(psid))
    post(server, fb.delivery(fb.entry(fb.text(psid, "je veux les baskets lumière"))))
    offer = replies_after(graph, psid, count)
    assert any("Baskets Lumière" in a for a in offer)
    count = len(graph.texts(psid))
    post(server, fb.delivery(fb.entry(fb.like_sticker(psid))))
    link = replies_after(graph, psid, count)
    assert any("ref=" in a for a in link)
