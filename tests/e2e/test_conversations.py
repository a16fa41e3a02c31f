"""End-to-end through Rasa's REST channel, the action server and the SQL tracker store."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import RasaServer

pytestmark = pytest.mark.server


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def test_first_answer_says_it_is_the_brands_automated_assistant(server: RasaServer, sender):
    replies = server.say("bonjour", sender)
    assert "assistant automatique de Maison Brume" in replies[0]["text"]
    assert len(replies) >= 2  # the disclosure, then the answer to the greeting
    later = server.say("merci", sender)
    assert "assistant automatique" not in texts(later)


def test_purchase_intent_gets_an_offer_from_the_catalogue(server: RasaServer, sender):
    replies = server.say("Je veux acheter votre sweat à capuche", sender)
    body = texts(replies)
    assert "Sweat à capuche Brume" in body and "59" in body
    assert any(r.get("buttons") for r in replies)  # "Voulez-vous que je vous aide à le commander ?"
    after = server.say("oui", sender)
    assert "boutique.maison-brume.example" in texts(after)


def test_delivery_cost_for_a_swiss_city(server: RasaServer, sender):
    body = texts(server.say("vous livrez à Lausanne ? ça coute combien ?", sender))
    assert "Suisse" in body and "14,90" in body


def test_support_request_quotes_the_policy_and_asks_the_order_number(server: RasaServer, sender):
    body = texts(server.say("ma commande n'est toujours pas arrivée", sender))
    assert "numéro de commande" in body
    body = texts(server.say("MB-204815", sender))
    assert "MB-204815" in body


@pytest.mark.parametrize(
    "message",
    [
        "",
        "   ",
        "😀😀😀",
        "Wie viel kostet der Versand nach Berlin?",
        "qsdkjfh qlskdjf mlqksjdf",
        "bonjour " + "je voudrais savoir si vous livrez en Belgique " * 110,  # ~5,000 characters
        "/restart",
    ],
)
def test_bad_input_gets_a_polite_answer(server: RasaServer, sender, message):
    replies = server.say(message, sender)
    assert replies, "the bot must answer something"
    assert all(r.get("text") or r.get("buttons") for r in replies)


def test_two_misunderstandings_in_a_row_hand_over_to_a_person(server: RasaServer, sender):
    server.say("bonjour", sender)
    first = texts(server.say("zblorf kwakwa plip", sender))
    second = texts(server.say("grmbl vroum tagada", sender))
    assert "reformuler" in first
    # Open or closed hours, the handoff message starts the same way.
    assert "Je transmets votre message" in second
    # The server has Slack configured: a person has the conversation now, the bot is silent.
    assert server.say("oui", sender) == []


def test_request_human_is_promised_a_person(server: RasaServer, sender):
    server.say("bonjour", sender)  # the disclosure also mentions a person: get it out of the way
    assert "Je transmets votre message" in texts(server.say("je veux parler à un humain", sender))


def test_conversations_survive_a_restart(server: RasaServer, sender):
    """Runs last in this module: SIGTERM stops both servers cleanly, state is in SQLite."""
    server.say("combien coûte la parka ?", sender)
    before = [e for e in server.tracker(sender)["events"] if e["event"] == "user"]
    assert server.stop() == 0
    server.start()
    after = server.tracker(sender)
    assert [e["text"] for e in after["events"] if e["event"] == "user"] == [
        e["text"] for e in before
    ]
    assert after["slots"]["product"] == "parka_boreale"
    body = texts(server.say("et en kaki c'est dispo ?", sender))
    assert "Parka Boréale" in body  # the product is remembered across the restart
