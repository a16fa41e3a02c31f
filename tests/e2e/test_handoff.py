"""End-to-end human handoff: Messenger customer ↔ Slack thread of the local team ↔ back to the bot.

The server runs with SLACK_* set, its Slack client pointed at a fake Slack Web API, and its
Messenger channel at the fake Graph API. Slack's requests are signed as Slack signs them.
"""

from __future__ import annotations

import json
import time
import uuid

import pytest
import requests

from tests import messenger_payloads as fb
from tests import slack_payloads as sp
from tests.e2e.conftest import MESSENGER_APP_SECRET, SLACK_SIGNING_SECRET, RasaServer, wait_for
from tests.fakes.graph_api import FakeGraphApi
from tests.fakes.slack_api import FakeSlackApi

pytestmark = pytest.mark.server

LYON = "C0BRUMELYON"
QUEBEC = "C0BRUMEQC"
DEFAULT = "C0BRUMEDEFAULT"


def customer_says(server: RasaServer, psid: str, text: str) -> None:
    body, headers = fb.signed(
        fb.delivery(fb.entry(fb.text(psid, text))), MESSENGER_APP_SECRET.encode()
    )
    response = requests.post(f"{server.url}/webhooks/messenger/webhook", data=body, headers=headers)
    assert response.status_code == 200


def slack_event(server: RasaServer, event: dict, secret: str = SLACK_SIGNING_SECRET, **kw) -> int:
    body, headers = sp.signed_event(secret, sp.event_callback(event, **kw))
    return requests.post(
        f"{server.url}/webhooks/slack_handoff/events", data=body, headers=headers
    ).status_code


def slack_click(server: RasaServer, payload: dict) -> int:
    body, headers = sp.signed_interaction(SLACK_SIGNING_SECRET, payload)
    return requests.post(
        f"{server.url}/webhooks/slack_handoff/interactive", data=body, headers=headers
    ).status_code


def escalation_for(slack: FakeSlackApi, channel: str, marker: str) -> dict:
    """The escalation message posted in ``channel`` whose text mentions ``marker``."""
    return wait_for(
        lambda: next(
            (m for m in slack.messages(channel) if marker in json.dumps(m, ensure_ascii=False)),
            None,
        )
    )


def button_value(message: dict, action_id: str) -> str:
    for block in message.get("blocks") or []:
        for element in block.get("elements") or []:
            if element.get("action_id") == action_id:
                return element["value"]
    raise AssertionError(f"no {action_id} button")


def replies_to(graph: FakeGraphApi, psid: str, after: int, settle: float = 1.5) -> list[str]:
    wait_for(lambda: len(graph.texts(psid)) > after)
    time.sleep(settle)
    return graph.texts(psid)[after:]


def test_customer_to_local_team_and_back(server, graph, slack):
    psid = str(uuid.uuid4().int)[:16]
    marker = f"commande urgente {psid[-6:]}"
    customer_says(
        server,
        psid,
        f"Bonjour, j'habite à Lyon, je veux parler à un humain svp, {marker} <!channel>",
    )
    answer = replies_to(graph, psid, 0)
    assert any("personne" in a for a in answer)  # told, honestly, that a person will answer

    post = escalation_for(slack, LYON, marker)  # the Lyon team's channel, not the default one
    dumped = json.dumps(post, ensure_ascii=False)
    assert "<!channel>" not in dumped and "&lt;!channel&gt;" in dumped  # escaped, no mention
    assert "Lyon" in dumped
    thread = post["ts"]
    escalation = button_value(post, "handoff_resolve")

    # A community manager answers in the thread: it reaches the customer's Messenger.
    count = len(graph.texts(psid))
    assert (
        slack_event(
            server, sp.thread_message(LYON, thread, "Bonjour, c'est Léa de l'équipe de Lyon !")
        )
        == 200
    )
    assert replies_to(graph, psid, count, settle=0.5) == [
        "Bonjour, c'est Léa de l'équipe de Lyon !"
    ]

    # A private note stays in Slack; a forged request is refused; a retried event relays once.
    count = len(graph.texts(psid))
    assert (
        slack_event(server, sp.thread_message(LYON, thread, "note: cliente fidèle, geste ok"))
        == 200
    )
    forged = slack_event(
        server, sp.thread_message(LYON, thread, "forgé"), secret="not-the-secret-0123456789"
    )
    assert forged == 401
    stale_body, stale_headers = sp.signed_event(
        SLACK_SIGNING_SECRET,
        sp.event_callback(sp.thread_message(LYON, thread, "trop vieux")),
        timestamp=int(time.time()) - 6 * 60,
    )
    stale = requests.post(
        f"{server.url}/webhooks/slack_handoff/events", data=stale_body, headers=stale_headers
    )
    assert stale.status_code == 401
    event = sp.thread_message(LYON, thread, "Je regarde votre commande.")
    retried = sp.event_callback(event, event_id="Ev0DUPLICATE" + psid[-6:])
    for retry in (None, 1):
        body, headers = sp.signed_event(SLACK_SIGNING_SECRET, retried, retry_num=retry)
        requests.post(f"{server.url}/webhooks/slack_handoff/events", data=body, headers=headers)
    assert replies_to(graph, psid, count, settle=2.0) == ["Je regarde votre commande."]

    # The customer writes: mirrored into the thread, and the bot says nothing.
    count = len(graph.texts(psid))
    customer_says(server, psid, "Merci ! c'est la commande MB-204815")
    wait_for(lambda: any("MB-204815" in r.get("text", "") for r in slack.replies(LYON, thread)))
    time.sleep(2)
    assert graph.texts(psid)[count:] == []

    # Résolu: the bot is back and says so, then answers again.
    assert (
        slack_click(
            server, sp.block_action("handoff_resolve", escalation, channel=LYON, message_ts=thread)
        )
        == 200
    )
    back = replies_to(graph, psid, count)
    assert any("assistant" in a for a in back)
    assert wait_for(lambda: [u for u in slack.updates if u.get("ts") == thread])
    count = len(graph.texts(psid))
    customer_says(server, psid, "vous acceptez quels moyens de paiement ?")
    assert replies_to(graph, psid, count)


def test_a_customer_in_montreal_goes_to_the_quebec_team_and_unknown_to_default(
    server, graph, slack
):
    psid = str(uuid.uuid4().int)[:16]
    customer_says(server, psid, f"je suis à Montréal, je veux parler à un conseiller ({psid[-6:]})")
    escalation_for(slack, QUEBEC, psid[-6:])
    other = str(uuid.uuid4().int)[:16]
    customer_says(server, other, f"je veux parler à un humain ({other[-6:]})")
    escalation_for(slack, DEFAULT, other[-6:])
