"""The unknown-words guard judges a message by its words, not its numbers or addresses."""


def test_unknown_words_guard_looks_at_letters_only():
    from rasa.nlu.constants import TOKENS_NAMES
    from rasa.nlu.tokenizers.tokenizer import Token
    from rasa.shared.nlu.training_data.message import Message

    from components.unknown_words import _words

    message = Message(data={"text": "MB-771203 Écharpe 3 jean.d@mail.fr"})
    tokens = ["MB-771203", "Écharpe", "3", "jean.d@mail.fr"]
    message.set(TOKENS_NAMES["text"], [Token(t, 0) for t in tokens])
    assert _words(message) == ["echarpe"]


def test_stretched_letters_are_read_as_the_word():
    from components.unknown_words import spellings

    assert "merci" in spellings("merciii")
    assert "coucou" in spellings("coucouuu")
    assert "nonn" in spellings("nonnnn")
    assert spellings("bonjour") == {"bonjour"}
    # Double letters are real French spelling; they are not stretched.
    assert spellings("commande") == {"commande"}


def test_guard_knows_stretched_words_and_rejects_unknown_ones():
    from components.unknown_words import UnknownWordsGuard

    guard = UnknownWordsGuard({}, None, None, vocabulary={"merci", "coucou", "non"})
    assert guard.knows_some(["merciiii"])
    assert guard.knows_some(["xkcd", "coucouuu"])
    assert guard.knows_some([])  # numbers, e-mails or emoji only: nothing to judge
    assert not guard.knows_some(["xkcd", "wololo"])
    assert not guard.knows_some(["mercredi"])


def test_guard_accepts_one_typo_in_a_long_word_but_not_keyboard_mash():
    from components.unknown_words import UnknownWordsGuard

    guard = UnknownWordsGuard({}, None, None, vocabulary={"salut", "ouais", "bonjour", "non"})
    assert guard.knows_some(["bonjoru"])  # letters swapped
    assert guard.knows_some(["ouaip"])  # one letter replaced
    assert guard.knows_some(["sluuut"])  # stretched, then one letter dropped
    assert not guard.knows_some(["qsdf", "azer"])
    assert not guard.knows_some(["nop"])  # too short to guess: could be anything
