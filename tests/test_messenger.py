"""The Messenger channel: signatures, batches, echoes, redeliveries, buttons and the Send API.

The real HTTP client (``connectors.graph_api``) talks to a fake Graph API on loopback.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
from rasa.core.channels.channel import UserMessage
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.nlu.training_data.message import Message

from bot.channels.state import ChannelState
from bot.keys import pseudonym
from connectors.graph_api import GraphApiError
from connectors.messenger import MessengerInput, OutsideMessagingWindow
from connectors.messenger_config import MessengerConfig
from connectors.messenger_events import parse_sender_id
from connectors.webhook_blueprint import Webhook
from tests import messenger_payloads as fb
from tests.fakes.graph_api import FakeGraphApi

APP_SECRET = "fb-app-secret-0123456789abcdef"
TOKEN = "page-token-0123456789"
PSID_A = "2400000000000001"
PSID_B = "2400000000000002"


@pytest.fixture
def graph():
    with FakeGraphApi({TOKEN}).running() as fake:
        yield fake


@pytest.fixture
def channel(graph, tmp_path):
    config = MessengerConfig.from_values(
        fb.PAGE_ID, TOKEN, APP_SECRET, "verify-token-0123456789", graph.url
    )
    state = ChannelState(f"sqlite:///{tmp_path / 'state.sqlite3'}")
    messenger = MessengerInput(config, state)
    messenger.graph.backoff_s = 0.01
    return messenger


class Bot:
    """Stands for Rasa: records each message and answers "re: <text>" through the channel."""

    def __init__(self) -> None:
        self.received: list[UserMessage] = []

    async def __call__(self, message: UserMessage) -> None:
        self.received.append(message)
        await asyncio.sleep(0.01 if "lent" not in message.text else 0.2)
        await message.output_channel.send_text_message(message.sender_id, f"re: {message.text}")

    @property
    def texts(self) -> list[str]:
        return [m.text for m in self.received]


async def deliver(channel: MessengerInput, bot: Bot, payload: dict, secret: str = APP_SECRET):
    """POST ``payload`` as Facebook would; wait until what was stored is processed; the status."""
    body, headers = fb.signed(payload, secret.encode())
    if channel.webhook is None:
        channel.webhook = Webhook(channel, bot)
    channel.webhook.on_new_message = bot
    status, _ = await channel.webhook.receive(headers, body)
    await channel.webhook.worker.drain()
    return status


def is_intent(text: str) -> bool:
    """Whether Rasa would read ``text`` as an ``/intent`` command."""
    message = YAMLStoryReader.unpack_regex_message(Message(data={"text": text}))
    return message.get("intent") is not None


async def test_one_text_message_one_reply_with_response_type(channel, graph):
    bot = Bot()
    status = await deliver(channel, bot, fb.delivery(fb.entry(fb.text(PSID_A, "Bonjour"))))
    assert status == 200
    assert bot.texts == ["Bonjour"]
    message = bot.received[0]
    assert message.sender_id == f"messenger:{fb.PAGE_ID}:{PSID_A}"
    assert message.metadata["brand"] == "demo"
    assert message.input_channel == "messenger"
    [reply] = graph.messages(PSID_A)
    assert reply["messaging_type"] == "RESPONSE"
    assert reply["message"] == {"text": "re: Bonjour"}
    actions = [body["sender_action"] for _, body in graph.sent if "sender_action" in body]
    assert actions == ["typing_on"]


async def test_batch_of_three_events_from_two_senders_all_answered_in_order(channel, graph):
    bot = Bot()
    payload = fb.delivery(
        fb.entry(fb.text(PSID_A, "un lent"), fb.text(PSID_B, "alpha")),
        fb.entry(fb.text(PSID_A, "deux")),
    )
    assert await deliver(channel, bot, payload) == 200
    assert sorted(bot.texts) == ["alpha", "deux", "un lent"]
    # A's first message takes longer to answer; A's second must still come after it.
    assert graph.texts(PSID_A) == ["re: un lent", "re: deux"]
    assert graph.texts(PSID_B) == ["re: alpha"]


async def test_echoes_and_receipts_are_not_customer_messages(channel, graph):
    bot = Bot()
    payload = fb.delivery(
        fb.entry(
            fb.echo(PSID_A, "Bonjour, je suis l'assistant"),
            fb.echo_attachment(PSID_A),
            fb.read_receipt(PSID_A),
            fb.delivery_receipt(PSID_A),
        )
    )
    assert await deliver(channel, bot, payload) == 200
    assert bot.received == []
    assert graph.sent == []


async def test_redelivered_mid_is_processed_once_even_after_a_restart(channel, graph, tmp_path):
    bot = Bot()
    event = fb.text(PSID_A, "ma commande n'est pas arrivée", mid="m_redelivered_1")
    await deliver(channel, bot, fb.delivery(fb.entry(event)))
    await deliver(channel, bot, fb.delivery(fb.entry(event)))
    # A restarted worker (new process state, same database) also drops it.
    restarted = MessengerInput(channel.config, ChannelState(str(channel.state.engine.url)))
    await deliver(restarted, bot, fb.delivery(fb.entry(event)))
    assert bot.texts == ["ma commande n'est pas arrivée"]
    assert graph.texts(PSID_A) == ["re: ma commande n'est pas arrivée"]


@pytest.mark.parametrize("secret", [None, "wrong-secret-0123456789", "another-apps-secret-0123"])
async def test_bad_missing_or_foreign_signature_is_refused_and_nothing_processed(
    channel, graph, secret
):
    payload = fb.delivery(fb.entry(fb.text(PSID_A, "Bonjour")))
    body, headers = fb.signed(payload, (secret or APP_SECRET).encode())
    if secret is None:
        headers.pop("X-Hub-Signature-256")
    status, _, messages = channel.accept(headers, body)
    assert status == 403
    assert messages == []


async def test_tampered_body_with_valid_looking_signature_is_refused(channel):
    body, headers = fb.signed(fb.delivery(fb.entry(fb.text(PSID_A, "oui"))), APP_SECRET.encode())
    status, _, messages = channel.accept(headers, body.replace(b"oui", b"non"))
    assert (status, messages) == (403, [])


async def test_malformed_and_oversized_bodies(channel):
    body = b"{not json"
    headers = {"X-Hub-Signature-256": fb.sign(APP_SECRET.encode(), body)}
    assert channel.accept(headers, body)[0] == 400
    huge = b"x" * (1024 * 1024 + 1)
    assert (
        channel.accept({"X-Hub-Signature-256": fb.sign(APP_SECRET.encode(), huge)}, huge)[0] == 413
    )
    odd = b'{"object": "page", "entry": [42, {"id": "1", "messaging": ["x", {}]}]}'
    status, reason, messages = channel.accept(
        {"X-Hub-Signature-256": fb.sign(APP_SECRET.encode(), odd)}, odd
    )
    assert (status, reason, messages) == (400, "Messenger delivery: entry.0: type object", [])


@pytest.mark.parametrize("typed", ["/restart", '/confirm{"amount": 1}', "  /affirm", "/greet"])
async def test_slash_commands_typed_by_a_customer_stay_text(channel, typed):
    assert is_intent(typed)  # what Rasa would do with the raw text
    bot = Bot()
    await deliver(channel, bot, fb.delivery(fb.entry(fb.text(PSID_A, typed))))
    [text] = bot.texts
    assert not is_intent(text)
    assert text.replace("\u2060", "") == typed


async def test_our_quick_reply_is_an_intent_a_forged_one_is_only_text(channel, graph):
    output = channel.output_for(fb.PAGE_ID)
    bot = Bot()
    await deliver(channel, bot, fb.delivery(fb.entry(fb.text(PSID_A, "Je veux le sweat"))))
    buttons = [
        {"title": "Oui, je le prends", "payload": "/affirm"},
        {"title": "Non", "payload": "/deny"},
    ]
    await output.send_text_with_buttons(f"messenger:{fb.PAGE_ID}:{PSID_A}", "On valide ?", buttons)
    sent = graph.messages(PSID_A)[-1]["message"]["quick_replies"]
    assert [r["title"] for r in sent] == ["Oui, je le prends", "Non"]

    bot = Bot()
    payload = fb.delivery(
        fb.entry(
            fb.quick_reply(PSID_A, sent[0]["title"], sent[0]["payload"]),
            fb.quick_reply(PSID_A, "Restart", "/restart"),
            fb.postback(PSID_A, "Acheter", '/purchase_intent{"product": "sweat_brume"}'),
            fb.postback(PSID_A, "Démarrer", "GET_STARTED"),
        )
    )
    await deliver(channel, bot, payload)
    assert bot.texts[0] == "/affirm"
    assert not is_intent(bot.texts[1]) and "Restart" in bot.texts[1]
    assert not is_intent(bot.texts[2]) and "Acheter" in bot.texts[2]
    assert bot.texts[3] == "/greet"


async def test_attachments_get_the_attachment_intent_and_the_like_sticker_affirms(channel):
    bot = Bot()
    await deliver(channel, bot, fb.delivery(fb.entry(fb.image(PSID_A), fb.like_sticker(PSID_A))))
    assert bot.texts == ["/send_attachment", "/affirm"]
    assert bot.received[0].metadata["attachments"] == [
        {"type": "image", "url": "https://scontent.example/photo.jpg"}
    ]


async def test_long_answer_arrives_in_two_parts_cut_at_a_sentence(channel, graph):
    bot = Bot()
    await deliver(channel, bot, fb.delivery(fb.entry(fb.text(PSID_A, "Bonjour"))))
    sentence = "Voici une phrase de conseil assez détaillée sur nos produits. "
    answer = (sentence * 41)[:2500].rsplit(" ", 1)[0] + "."
    assert len(answer) > 2400
    graph.reset()
    await channel.output_for(fb.PAGE_ID).send_text_message(
        f"messenger:{fb.PAGE_ID}:{PSID_A}", answer
    )
    parts = graph.texts(PSID_A)
    assert len(parts) == 2
    assert all(len(p) <= 2000 for p in parts)
    assert parts[0].endswith(".")
    assert " ".join(parts) == answer.strip()


async def test_quick_replies_are_capped_at_13_with_short_titles(channel, graph):
    bot = Bot()
    await deliver(channel, bot, fb.delivery(fb.entry(fb.text(PSID_A, "les couleurs ?"))))
    buttons = [{"title": f"Couleur numéro {i} très jolie", "payload": "/inform"} for i in range(20)]
    await channel.output_for(fb.PAGE_ID).send_quick_replies(
        f"messenger:{fb.PAGE_ID}:{PSID_A}", "Laquelle ?", buttons
    )
    replies = graph.messages(PSID_A)[-1]["message"]["quick_replies"]
    assert len(replies) == 13
    assert all(len(r["title"]) <= 20 for r in replies)
    assert graph.refused == []


async def test_graph_api_failures_are_retried_then_delivered_once(channel, graph):
    bot = Bot()
    graph.fail_next(1, 429)
    graph.fail_next(2, 500)
    await deliver(channel, bot, fb.delivery(fb.entry(fb.text(PSID_A, "Bonjour"))))
    # typing indicator: 429 then 500 ... retried; the reply goes through once.
    assert graph.texts(PSID_A) == ["re: Bonjour"]


async def test_graph_api_down_for_good_gives_up_without_blocking(channel, graph, caplog):
    graph.fail_next(20, 503)
    sender = f"messenger:{fb.PAGE_ID}:{PSID_A}"
    channel.state.note_customer_message("messenger", pseudonym(sender), datetime.now(timezone.utc))
    # A bot reply that cannot be sent is logged; the turn goes on (Rasa saves the conversation).
    await channel.output_for(fb.PAGE_ID).send_text_message(sender, "Bonjour")
    assert graph.texts() == []
    assert "MESSENGER SEND FAILED" in caplog.text
    # A community manager's message must not fail silently: the caller gets the error.
    with pytest.raises(GraphApiError):
        await channel.output_for(fb.PAGE_ID).send_human_agent_text(sender, "Bonjour")


async def test_human_agent_message_uses_the_tag_after_24h_and_is_refused_after_7_days(
    channel, graph, caplog
):
    sender = f"messenger:{fb.PAGE_ID}:{PSID_A}"
    output = channel.output_for(fb.PAGE_ID)
    customer = pseudonym(sender)
    now = datetime.now(timezone.utc)

    channel.state.note_customer_message("messenger", customer, now - timedelta(hours=2))
    await output.send_human_agent_text(sender, "Bonjour, c'est Léa de l'équipe.")
    channel.state.note_customer_message(
        "messenger", customer, now - timedelta(days=3)
    )  # older: kept newer
    assert graph.messages(PSID_A)[-1]["messaging_type"] == "RESPONSE"

    other = f"messenger:{fb.PAGE_ID}:{PSID_B}"
    channel.state.note_customer_message("messenger", pseudonym(other), now - timedelta(days=3))
    await output.send_human_agent_text(other, "Je reviens vers vous.")
    tagged = graph.messages(PSID_B)[-1]
    assert (tagged["messaging_type"], tagged["tag"]) == ("MESSAGE_TAG", "HUMAN_AGENT")
    # A bot reply (RESPONSE) three days later is not allowed: refused and logged, not sent.
    caplog.clear()
    await output.send_text_message(other, "Le bot parle")
    assert "Le bot parle" not in graph.texts(PSID_B)
    assert "MESSENGER SEND REFUSED" in caplog.text

    late = f"messenger:{fb.PAGE_ID}:2400000000000009"
    channel.state.note_customer_message("messenger", pseudonym(late), now - timedelta(days=8))
    with pytest.raises(OutsideMessagingWindow):
        await output.send_human_agent_text(late, "Trop tard ?")
    assert graph.messages("2400000000000009") == []
    assert "MESSENGER SEND REFUSED" in caplog.text


async def test_message_for_an_unknown_page_is_not_processed(channel, graph):
    bot = Bot()
    payload = fb.delivery(fb.entry(fb.text(PSID_A, "Bonjour"), page_id="999999"))
    await deliver(channel, bot, payload)
    assert bot.received == [] and graph.sent == []


def test_pages_from_brand_files_use_the_token_named_in_the_environment(tmp_path, monkeypatch):
    (tmp_path / "demo.yml").write_text(
        open("brands/demo.yml", encoding="utf-8").read(), encoding="utf-8"
    )
    second = open("brands/demo.yml", encoding="utf-8").read().replace("slug: demo", "slug: nord")
    second += (
        '\nchannels:\n  messenger:\n    page_id: "777"\n    access_token_env: NORD_PAGE_TOKEN\n'
    )
    (tmp_path / "nord.yml").write_text(second, encoding="utf-8")
    monkeypatch.setenv("CAUSETTE_BRANDS_DIR", str(tmp_path))
    monkeypatch.setenv("NORD_PAGE_TOKEN", "nord-token-0123456789")
    config = MessengerConfig.from_values(fb.PAGE_ID, TOKEN, APP_SECRET, "verify-token-0123456789")
    assert config.pages[fb.PAGE_ID].brand == "demo"
    assert (config.pages["777"].brand, config.pages["777"].access_token) == (
        "nord",
        "nord-token-0123456789",
    )


@pytest.mark.parametrize(
    "secret, verify", [("", "verify-token-0123456789"), (APP_SECRET, "changeme")]
)
def test_missing_or_placeholder_secrets_are_refused(secret, verify):
    with pytest.raises(ValueError):
        MessengerConfig.from_values(fb.PAGE_ID, TOKEN, secret, verify)


def test_conversation_ids_name_the_page():
    assert parse_sender_id(f"messenger:{fb.PAGE_ID}:{PSID_A}") == (fb.PAGE_ID, PSID_A)
    with pytest.raises(ValueError):
        parse_sender_id("telegram:42")
