"""REST exposed to customers (PUBLIC_REST=1): text stays text, no channel or metadata forging."""

from __future__ import annotations

from types import SimpleNamespace

from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.nlu.training_data.message import Message

from connectors.public_rest import PublicRestInput


def request(body: dict) -> SimpleNamespace:
    return SimpleNamespace(json=body)


def is_intent(text: str) -> bool:
    return (
        YAMLStoryReader.unpack_regex_message(Message(data={"text": text})).get("intent") is not None
    )


BODY = {
    "sender": "visitor",
    "message": '/confirm{"amount": 1}',
    "input_channel": "messenger",
    "metadata": {"brand": "other"},
}


def test_internal_rest_keeps_rasa_behaviour(monkeypatch):
    monkeypatch.delenv("PUBLIC_REST", raising=False)
    channel = PublicRestInput()
    assert is_intent(channel._extract_message(request(BODY)))
    assert channel._extract_input_channel(request(BODY)) == "messenger"
    assert channel.get_metadata(request(BODY)) == {"brand": "other"}


def test_public_rest_reads_commands_as_text_and_ignores_channel_and_metadata(monkeypatch):
    monkeypatch.setenv("PUBLIC_REST", "1")
    channel = PublicRestInput()
    text = channel._extract_message(request(BODY))
    assert not is_intent(text) and text.endswith(BODY["message"])
    assert not is_intent(channel._extract_message(request({**BODY, "message": "/restart"})))
    assert channel._extract_message(request({**BODY, "message": "bonjour"})) == "bonjour"
    assert channel._extract_input_channel(request(BODY)) == "rest"
    assert channel.get_metadata(request(BODY)) is None
