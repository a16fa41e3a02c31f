"""Order numbers, e-mails, phones, prices and places: entities, not words, for the intent.

"ma commande MB-552210 n'est pas arrivée" must read like "ma commande MB552210 n'est pas arrivée",
"ma commande #552210 n'est pas arrivée" and "ma commande n'est pas arrivée (Genève)". Rasa's count
featurizers already read an all-digit token as ``__NUMBER__``, but not "MB-552210" ("mb" + a
number), "MB552210", "+41" or "jean.dupont@gmail.com", whose character n-grams leaked into the
intent; spaCy gives digits ("06", "12") some of its largest word vectors; and each city name is a
word the classifier learnt from the few intents it appeared in.

This component runs right after the tokenizer and marks every token inside an entity with
:data:`MASK_KEY` (its kind as value): the intent classifier reads marked tokens as "there is an
order number here", not as words (:mod:`components.intent_classifier`). Order numbers, e-mails,
phones and prices are also rewritten, so the count featurizers see one shape per kind: the first
token to the kind's placeholder (``__ordernumber__``, ``__email__``, ``__phone__``,
``__price__``), the others to an empty string. Places keep their text: the CRF tags cities from
it. The message text is untouched; the extractors take entity values from offsets in it.

The patterns come from the training data and are stored with the model: the ``order_number``,
``email`` and ``phone`` regexes of ``data/nlu/entities.yml`` and the ``city`` lookup of
``data/nlu/catalogue.yml``, without the names the data also tags as another entity ("bordeaux"
is a colour too). Prices ("59 €", "22,50 CHF") and bare six-to-eight digit numbers (order
numbers typed without "MB") are this module's.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import ENTITIES, ENTITY_ATTRIBUTE_TYPE, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.nlu_fingerprint import modules_fingerprint

logger = logging.getLogger(__name__)

# Set on masked tokens, with the kind of entity as value.
MASK_KEY = "masked_entity"
PATTERNS_FILE = "patterns.json"

ORDER_NUMBER = "order_number"
EMAIL = "email"
PHONE = "phone"
PRICE = "price"
CITY = "city"
# Every kind of entity this component masks.
KINDS = (ORDER_NUMBER, EMAIL, PHONE, PRICE, CITY)

# A number followed or preceded by a currency: "59 €", "22,50 CHF", "$ 45", "30 euros".
_CURRENCY = r"(?:€|eur|euros?|chf|fr\.|francs?|\$|cad|dollars?)"
PRICE_PATTERNS = (
    rf"(?<![\w.,])\d+(?:[.,]\d{{1,2}})?\s?{_CURRENCY}(?!\w)",
    rf"(?<!\w){_CURRENCY}\s?\d+(?:[.,]\d{{1,2}})?(?![\w.,])",
)
# An order number without its "MB": six to eight digits on their own.
BARE_ORDER_NUMBER = r"(?<![\w+#.,])\d{6,8}(?!\w|[.,]\d)"

Pattern = tuple[str, re.Pattern[str]]


def placeholder(kind: str) -> str:
    """The word the featurizers see for an entity of ``kind``: ``__ordernumber__``."""
    return f"__{kind.replace('_', '')}__"


def lookup_pattern(names: Iterable[str]) -> re.Pattern[str]:
    """Any of ``names`` as whole words, ignoring case, longest first."""
    alternatives = "|".join(re.escape(n) for n in sorted(set(names), key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def masked_spans(text: str, patterns: Iterable[Pattern]) -> list[tuple[int, int, str]]:
    """(start, end, kind) of the matches in ``text``, earlier patterns first, without overlaps."""
    spans: list[tuple[int, int, str]] = []
    for kind, pattern in patterns:
        for match in pattern.finditer(text):
            start, end = match.span()
            if start < end and all(end <= s or start >= e for s, e, _ in spans):
                spans.append((start, end, kind))
    return sorted(spans)


def mask_tokens(
    tokens: list[Token], spans: list[tuple[int, int, str]], rewrite: Iterable[str] = KINDS
) -> None:
    """Mark, in place, the tokens that overlap a span; for the kinds in ``rewrite``, also turn
    the first into the placeholder and the others into empty strings."""
    rewrite = set(rewrite)
    for start, end, kind in spans:
        inside = [t for t in tokens if t.start < end and t.end > start]
        for index, token in enumerate(inside):
            token.set(MASK_KEY, kind)
            if kind in rewrite:
                token.text = placeholder(kind) if index == 0 else ""


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=True)
class EntityMasker(GraphComponent):
    """Marks order numbers, e-mails, phones, prices and places in the tokens, and rewrites all
    but places to one placeholder per kind."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # Names of the training data's regexes (data/nlu/entities.yml) to mask, in priority
            # order: a phone is not also a price.
            "regexes": [EMAIL, PHONE, ORDER_NUMBER],
            # Names of the training data's lookup tables to mark (text kept).
            "lookups": [CITY],
            "mask_prices": True,
            "mask_bare_order_numbers": True,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        patterns: dict[str, Any] | None = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        unknown = (set(self._config["regexes"]) | set(self._config["lookups"])) - set(KINDS)
        if unknown:
            raise ValueError(f"EntityMasker masks only {KINDS}, not {sorted(unknown)}")
        self._model_storage = model_storage
        self._resource = resource
        self.learnt: dict[str, Any] = patterns or {"regexes": [], "lookups": {}}
        self._compile()

    def _compile(self) -> None:
        patterns: list[Pattern] = [
            (r["name"], re.compile(r["pattern"], re.IGNORECASE)) for r in self.learnt["regexes"]
        ]
        if self._config["mask_prices"]:
            patterns += [(PRICE, re.compile(p, re.IGNORECASE)) for p in PRICE_PATTERNS]
        if self._config["mask_bare_order_numbers"]:
            patterns.append((ORDER_NUMBER, re.compile(BARE_ORDER_NUMBER)))
        patterns += [
            (kind, lookup_pattern(names)) for kind, names in self.learnt["lookups"].items() if names
        ]
        self.patterns = patterns
        self.rewritten = {kind for kind, _ in patterns} - set(self.learnt["lookups"])

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """Retrain when this module's patterns or functions change."""
        return modules_fingerprint(sys.modules[__name__])

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> EntityMasker:
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> EntityMasker:
        try:
            with model_storage.read_from(resource) as directory:
                patterns = json.loads((directory / PATTERNS_FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            logger.warning("EntityMasker has no patterns; only prices and numbers are masked")
            patterns = None
        return cls(config, model_storage, resource, patterns)

    def train(self, training_data: TrainingData) -> Resource:
        order = {name: i for i, name in enumerate(self._config["regexes"])}
        regexes = sorted(
            (
                {"name": r["name"], "pattern": r["pattern"]}
                for r in training_data.regex_features
                if r["name"] in order
            ),
            key=lambda r: order[r["name"]],
        )
        lookups = {}
        for kind in self._config["lookups"]:
            others = _other_entity_values(training_data, kind)
            names = [
                str(name)
                for table in training_data.lookup_tables
                if table["name"] == kind
                for name in table["elements"]
            ]
            lookups[kind] = sorted({n for n in names if n.casefold() not in others})
        missing = set(order) - {r["name"] for r in regexes}
        missing |= {kind for kind, names in lookups.items() if not names}
        if missing:
            logger.warning(f"EntityMasker: no pattern for {sorted(missing)} in the training data")
        self.learnt = {"regexes": regexes, "lookups": lookups}
        self._compile()
        with self._model_storage.write_to(self._resource) as directory:
            (directory / PATTERNS_FILE).write_text(
                json.dumps(self.learnt, ensure_ascii=False), encoding="utf-8"
            )
        return self._resource

    def _mask(self, message: Message) -> None:
        tokens = message.get(TOKENS_NAMES[TEXT])
        text = message.get(TEXT)
        if tokens and text:
            mask_tokens(tokens, masked_spans(text, self.patterns), self.rewritten)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            self._mask(example)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._mask(message)
        return messages


def _other_entity_values(training_data: TrainingData, kind: str) -> set[str]:
    """Folded texts the training data tags as an entity other than ``kind``."""
    values = set()
    for example in training_data.entity_examples:
        text = example.get(TEXT) or ""
        for entity in example.get(ENTITIES) or []:
            if entity.get(ENTITY_ATTRIBUTE_TYPE) != kind:
                values.add(text[entity["start"] : entity["end"]].casefold())
    return values
