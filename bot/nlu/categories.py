"""Intent categories: the one source of truth for what each intent means to the business.

Reports, the ledger and triage count messages by category, so every intent the NLU can predict
maps to exactly one category here (a test checks this against ``domain.yml``).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from types import MappingProxyType


class Category(str, Enum):
    """What a customer message is about, from the brand's point of view."""

    PURCHASE = "purchase"
    SUPPORT = "support"
    HUMAN = "human"
    SMALLTALK = "smalltalk"
    OTHER = "other"


INTENT_CATEGORIES: Mapping[str, Category] = MappingProxyType(
    {
        # Wants to buy, or asks a question one asks before buying.
        "purchase_intent": Category.PURCHASE,
        "ask_price": Category.PURCHASE,
        "ask_availability": Category.PURCHASE,
        "ask_delivery": Category.PURCHASE,
        "ask_payment": Category.PURCHASE,
        "ask_promo": Category.PURCHASE,
        "ask_store": Category.PURCHASE,
        "product_advice": Category.PURCHASE,
        # After-sale problems and complaints.
        "order_status": Category.SUPPORT,
        "delivery_problem": Category.SUPPORT,
        "damaged_or_wrong_item": Category.SUPPORT,
        "return_refund": Category.SUPPORT,
        "cancel_or_modify_order": Category.SUPPORT,
        "payment_problem": Category.SUPPORT,
        "account_problem": Category.SUPPORT,
        "complaint": Category.SUPPORT,
        # Asks for a person.
        "request_human": Category.HUMAN,
        # Conversation glue and questions about the bot.
        "greet": Category.SMALLTALK,
        "goodbye": Category.SMALLTALK,
        "thank": Category.SMALLTALK,
        "affirm": Category.SMALLTALK,
        "deny": Category.SMALLTALK,
        "bot_challenge": Category.SMALLTALK,
        "compliment": Category.SMALLTALK,
        "help": Category.SMALLTALK,
        # Bare information, off-topic, and what the NLU is not sure about.
        "inform": Category.OTHER,
        "out_of_scope": Category.OTHER,
        "send_attachment": Category.OTHER,
        "nlu_fallback": Category.OTHER,
    }
)


def category_of(intent: str | None) -> Category:
    """Return the category of ``intent``; unknown or missing intents are ``Category.OTHER``."""
    if not intent:
        return Category.OTHER
    return INTENT_CATEGORIES.get(intent, Category.OTHER)


def intents_in(category: Category) -> frozenset[str]:
    """All intents that belong to ``category``."""
    return frozenset(intent for intent, cat in INTENT_CATEGORIES.items() if cat is category)
