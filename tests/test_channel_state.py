"""Customers' last message, shared by workers; button seals; long texts cut."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.channels.state import ChannelState, StateUnavailable
from connectors.buttons import ButtonSeal
from connectors.customer_text import split_text


@pytest.fixture
def state(tmp_path) -> ChannelState:
    return ChannelState(f"sqlite:///{tmp_path / 'state.sqlite3'}")


def test_last_customer_message_only_moves_forward(state):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    assert state.last_customer_message("messenger", "c_1") is None
    state.note_customer_message("messenger", "c_1", now - timedelta(hours=1))
    state.note_customer_message("messenger", "c_1", now)
    state.note_customer_message("messenger", "c_1", now - timedelta(days=2))  # late delivery
    assert state.last_customer_message("messenger", "c_1") == now
    assert state.last_customer_message("telegram", "c_1") is None


def test_unreachable_database_raises_a_specific_error():
    closed_port = ChannelState("postgresql://causette:x@127.0.0.1:9/causette", timeout_s=1)
    with pytest.raises(StateUnavailable):
        closed_port.last_customer_message("messenger", "c_1")


def test_sealed_payloads_open_only_with_our_key_and_unchanged():
    seal = ButtonSeal(b"channel-secret-0123456789", "messenger")
    sealed = seal.seal('/purchase_intent{"product": "sweat_brume"}')
    assert seal.open(sealed) == '/purchase_intent{"product":"sweat_brume"}'
    assert seal.open(sealed.replace("sweat_brume", "jean_gaston")) is None
    assert ButtonSeal(b"another-secret-0123456789", "messenger").open(sealed) is None
    assert ButtonSeal(b"channel-secret-0123456789", "telegram").open(sealed) is None
    assert seal.open("/restart") is None and seal.open("") is None and seal.open("~") is None
    assert seal.seal("/x" + "a" * 80, max_length=64) is None


def test_split_text_cuts_at_sentences_then_spaces():
    assert split_text("  court  ", 10) == ["court"]
    assert split_text("", 10) == []
    parts = split_text("Une phrase. Une autre phrase ici. Fin.", 20)
    assert parts == ["Une phrase.", "Une autre phrase", "ici. Fin."]
    assert split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]
