"""The conversation checker of tests/dialogue/suite.py, without a server: loading the files,
reading a reply off the tracker, judging a turn and adding up the results."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dialogue.suite import (
    EXAMPLE_FILE,
    TAG_KEYS,
    Conversation,
    ConversationResult,
    Observation,
    SuiteError,
    Turn,
    TurnResult,
    check,
    conversation_files,
    describe_wrong_turns,
    load_conversations,
    observe,
    summarise,
    summary_table,
    tables_by_source,
    tags_of,
)

# A tracker tail as Rasa 3.6 stores it: a custom action's text carries its key as
# ``metadata.copy``, a domain response its name as ``metadata.utter_action``.
TRACKER_EVENTS = [
    {"event": "action", "name": "action_session_start"},
    {"event": "session_started"},
    {
        "event": "bot",
        "text": "Je suis l'assistant automatique.",
        "metadata": {"copy": "utter_disclosure"},
    },
    {"event": "action", "name": "action_listen"},
    {"event": "user", "text": "bonjour"},
    {"event": "action", "name": "utter_greet"},
    {"event": "bot", "text": "Bonjour !", "metadata": {"utter_action": "utter_greet"}},
    {"event": "action", "name": "action_listen"},
    {"event": "user", "text": "vous livrez à Genève ?"},
    {"event": "user_featurization"},
    {"event": "action", "name": "action_delivery"},
    {
        "event": "bot",
        "text": "Livraison en Suisse\u202f: 14,90\u00a0€, sous 5 jours.",
        "data": {"buttons": [{"title": "Voir les boutiques", "payload": "/ask_store"}]},
        "metadata": {"copy": "utter_delivery_quote"},
    },
    {"event": "slot", "name": "city", "value": "Genève"},
    {"event": "action", "name": "action_listen"},
]


def observation(*keys: str, text: str = "") -> Observation:
    return Observation(keys=frozenset(keys), tags=tags_of(keys), text=text)


def write(tmp_path: Path, body: str, name: str = "team.yml") -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


CONVERSATION = """\
conversations:
  - id: c1
    theme: follow_ups
    region: ch
    turns:
      - user: "vous livrez à Genève ?"
        expect: [{tag}]
"""


# --- loading -------------------------------------------------------------------------------------


def test_the_example_loads_with_defaults_and_its_source():
    first, second = load_conversations([EXAMPLE_FILE])
    assert (first.id, first.theme, first.region, first.brand, first.source) == (
        "parka-lyon",
        "follow_ups",
        "fr",
        "demo",
        "example",
    )
    assert first.turns[0] == Turn(
        user="vous livrez à Lyon ?",
        expect=("delivery",),
        forbid=("price_list",),
        mentions=("4,90 €",),
    )
    assert first.turns[1].expect == ("delivery",)  # a lone tag is a list of one
    assert second.region == "qc" and second.turns[1].user == "je veux parler à quelqu'un"


def test_the_source_is_the_file_stem(tmp_path):
    [conversation] = load_conversations([write(tmp_path, CONVERSATION.format(tag="delivery"))])
    assert conversation.source == "team"


def test_an_unknown_tag_is_an_error_naming_the_conversation_and_the_tag(tmp_path):
    path = write(tmp_path, CONVERSATION.format(tag="delivry"))
    with pytest.raises(SuiteError, match=r"team\.yml, conversation 1 \('c1'\), turn 1.*'delivry'"):
        load_conversations([path])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (CONVERSATION.replace("region: ch", "region: de"), "region 'de'"),
        (CONVERSATION.replace("region: ch", "region: ch\n    brand: nope"), "brands/nope.yml"),
        (CONVERSATION.replace("expect:", "expects:"), "unknown field"),
        (CONVERSATION.replace('"vous livrez à Genève ?"', "no"), "quote it"),
        (CONVERSATION.replace("    theme: follow_ups\n", ""), "theme"),
        (CONVERSATION + "        forbid: [delivery]\n", "both expected and forbidden"),
        (CONVERSATION + CONVERSATION.split("conversations:\n")[1], "'c1' is repeated"),
        ("conversation: []\n", "conversations:"),
    ],
)
def test_a_file_that_cannot_be_played_is_refused(tmp_path, body, message):
    with pytest.raises(SuiteError, match=message):
        load_conversations([write(tmp_path, body.format(tag="delivery"))])


def test_the_sets_are_every_yml_but_the_example(tmp_path):
    for name in ("team.yml", "blind.yml", "example.yml", "notes.txt"):
        (tmp_path / name).write_text("", encoding="utf-8")
    assert [p.name for p in conversation_files(tmp_path)] == ["blind.yml", "team.yml"]


# --- observing -----------------------------------------------------------------------------------


def test_a_reply_is_what_follows_the_last_user_message():
    seen = observe(TRACKER_EVENTS)
    assert seen.keys == {"action_delivery", "utter_delivery_quote"}
    assert seen.tags == {"delivery"}
    assert seen.text == "Livraison en Suisse\u202f: 14,90\u00a0€, sous 5 jours.\nVoir les boutiques"


def test_domain_responses_and_action_names_are_keys_too():
    seen = observe(TRACKER_EVENTS[:8])
    assert seen.keys == {"utter_greet"} and seen.text == "Bonjour !"
    escalated = observe(
        [{"event": "user", "text": "un humain"}, {"event": "action", "name": "action_escalate"}]
    )
    assert escalated.tags == {"handover"}


def test_no_reply_observes_nothing():
    assert observe(TRACKER_EVENTS[:5]) == Observation(frozenset(), frozenset(), "")


def test_a_key_may_be_worth_several_tags_and_a_prefix_matches():
    assert tags_of(["utter_stock_out"]) == {"stock", "out_of_stock"}
    assert tags_of(["utter_price_with_promo"]) == {"price", "promo"}
    assert tags_of(["utter_support_ack_late_delivery"]) == {"support"}
    assert tags_of(["utter_support_ack"]) == set()


def test_every_tag_has_keys():
    assert all(TAG_KEYS.values())


# --- checking ------------------------------------------------------------------------------------


def test_a_turn_is_right_with_its_expected_tags_and_nothing_forbidden():
    turn = Turn(user="vous livrez ?", expect=("delivery",), forbid=("price_list",))
    assert check(turn, observation("utter_delivery_quote", "utter_anything_else")) == []


def test_a_missing_expected_tag_and_a_forbidden_one_are_problems():
    turn = Turn(user="vous livrez ?", expect=("delivery", "ask_city"), forbid=("price_list",))
    problems = check(turn, observation("utter_delivery_quote", "utter_price_list"))
    assert problems == ["expected ask_city, not observed", "forbidden price_list observed"]


@pytest.mark.parametrize("key", ["utter_ask_rephrase", "action_escalate", "utter_handoff_closed"])
def test_fallback_and_handover_are_forbidden_unless_expected(key):
    assert check(Turn(user="euh"), observation(key))
    tag = "fallback" if key == "utter_ask_rephrase" else "handover"
    assert check(Turn(user="euh", expect=(tag,)), observation(key)) == []


def test_mentions_are_compared_folded():
    text = "Livraison en Suisse\u202f: 14,90\u00a0€. Délai : 5 JOURS, aujourd\u2019hui."
    turn = Turn(user="…", mentions=("14,90 €", "suisse :", "delai", "jours", "aujourd'hui"))
    assert check(turn, observation(text=text)) == []
    assert check(Turn(user="…", mentions=("Genève",)), observation(text=text)) == [
        "missing mention 'Genève'"
    ]


# --- adding up -----------------------------------------------------------------------------------


def played(ident: str, theme: str, source: str, *rights: bool) -> ConversationResult:
    turn = Turn(user="…", expect=("delivery",))
    conversation = Conversation(
        id=ident, theme=theme, region="fr", turns=(turn,) * len(rights), source=source
    )
    turns = tuple(
        TurnResult(n, turn, observation(), () if right else ("expected delivery, not observed",))
        for n, right in enumerate(rights, start=1)
    )
    return ConversationResult(conversation, f"dlg-{ident}", turns)


def test_summarise_counts_per_theme_per_source_and_overall():
    summary = summarise(
        [
            played("a", "stock", "team", True, True),
            played("b", "stock", "blind", True, False, True),
            played("c", "delivery", "blind", True),
        ]
    )
    overall = summary.overall
    assert (overall.conversations, overall.fully_right, overall.turns, overall.turns_right) == (
        3,
        2,
        6,
        5,
    )
    assert list(summary.by_theme) == ["delivery", "stock"]
    stock = summary.by_theme["stock"]
    assert (stock.conversations, stock.fully_right, stock.turns, stock.turns_right) == (2, 1, 5, 4)
    assert summary.by_source["blind"].conversation_share == 0.5
    assert summary.by_source["team"].turn_share == 1.0
    assert summary_table(summary)[-1] == "| **overall** | 3 | 67% (2) | 6 | 83% (5) |"
    assert summary_table(summary, by="source")[2:4] == [
        "| blind | 2 | 50% (1) | 4 | 75% (3) |",
        "| team | 1 | 100% (1) | 2 | 100% (2) |",
    ]
    assert summarise([]).overall.conversation_share == 0.0


def test_each_source_gets_its_own_table_per_theme():
    lines = tables_by_source(
        [played("a", "stock", "team", True), played("b", "delivery", "blind", False)]
    )
    assert lines[0] == "**blind** (`tests/dialogue/blind.yml`)"
    assert "| delivery | 1 | 0% (0) | 1 | 0% (0) |" in lines
    team = lines.index("**team** (`tests/dialogue/team.yml`)")
    assert lines[team + 4] == "| stock | 1 | 100% (1) | 1 | 100% (1) |"
    assert "| delivery |" not in "\n".join(lines[team:])


def test_a_wrong_turn_is_described_with_what_was_expected_and_replied():
    result = played("b", "stock", "blind", True, False)
    lines = "\n".join(describe_wrong_turns(result))
    assert "[blind] b turn 2" in lines and "turn 1" not in lines
    assert "expected: delivery" in lines and "forbidden: fallback, handover" in lines
    assert "(no reply)" in lines
