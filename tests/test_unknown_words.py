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
