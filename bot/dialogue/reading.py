"""What a message means in the conversation, when that differs from what it says alone.

The NLU reads one message. A person reads it after the bot's last question: « la parka noire »
answers "Quel article ?", « go » accepts an offer, « et à Genève ? » asks the delivery question
again for Geneva, « finalement en L » changes the size of the offer. :func:`read_in_context`
returns such a reading, or None when the NLU's own reading stands.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.dialogue.values import Values
from bot.nlu import cues
from bot.nlu.categories import Category, category_of

# Pre-sale questions a bare follow-up can repeat with a new value.
REPEATABLE_TOPICS = frozenset(
    {
        "purchase_intent",
        "ask_price",
        "ask_availability",
        "ask_delivery",
        "ask_payment",
        "ask_store",
        "product_advice",
    }
)
# Questions one asks before buying, which an offer can answer along the way.
PRESALE_QUESTIONS = frozenset(REPEATABLE_TOPICS - {"purchase_intent"} | {"ask_promo"})
# What the bot may be waiting for (slot ``requested``).
ASKABLE = frozenset({"product", "size", "colour", "city", "quantity", "order_number"})
DID_NOT_HELP = "did_not_help"
# The customer decides to buy what was discussed: the link, without asking again.
SEND_LINK = "send_link"


@dataclass(frozen=True)
class Context:
    """Where the conversation stands before the message.

    ``requested``: the value the bot asked for; ``pending``: its yes/no question
    ("buy_product", "offer_human"); ``topic``: the last pre-sale question it answered;
    ``product``: the product discussed so far.
    """

    requested: str | None = None
    pending: str | None = None
    topic: str | None = None
    product: str | None = None


@dataclass(frozen=True)
class Reading:
    """The message read in context: the intent it stands for, and why."""

    intent: str
    why: str


def read_in_context(
    nlu_intent: str | None, text: str, values: Values, context: Context
) -> Reading | None:
    """The intent ``text`` stands for after the bot's last turn, or None to keep the NLU's."""
    yes, no = cues.says_yes(text), cues.says_no(text)
    bare = values.is_bare
    if cues.did_not_help(text) and not values.states_something:
        return Reading(DID_NOT_HELP, "the customer says the last answer did not help")
    if context.pending and bare and not values.states_something:
        if yes:
            return Reading("affirm", f"yes to {context.pending}")
        if no:
            return Reading("deny", f"no to {context.pending}")
    nlu_category = category_of(nlu_intent or "nlu_fallback")
    if (
        cues.commits(text)
        and context.product
        and "?" not in text
        and nlu_category not in (Category.SUPPORT, Category.HUMAN)
        and not no
    ):
        # « go », « ok je le prends », « c'est bon, en 42 noir, envoyez-moi le lien », after the
        # product was discussed.
        return Reading(SEND_LINK, "decides to buy the product discussed")
    if (
        nlu_category == Category.SUPPORT
        and nlu_intent != "complaint"
        and not cues.mentions_an_order(text)
    ):
        # « combien pour l'envoyer à Sherbrooke », « faut payer la douane à la réception ? »:
        # nothing was bought yet, so it is the pre-sale question its words ask.
        asked = [t for t in cues.topics_in(text) if t in REPEATABLE_TOPICS]
        if asked:
            topic = "ask_delivery" if "ask_delivery" in asked else asked[0]
            return Reading(topic, "a pre-sale question, no order in sight")
    if (
        values.budget
        and not values.products
        and nlu_category in (Category.PURCHASE, Category.OTHER)
    ):
        return Reading("product_advice", "a budget and no product: ideas within it")
    if bare and context.requested in ASKABLE and values.has(context.requested):
        return Reading("inform", f"answers the {context.requested} the bot asked for")
    wants = cues.wants_to_buy(text)
    if bare and wants and (values.products or context.product):
        return Reading("purchase_intent", "wants the product (« je le prends en écru »)")
    if bare and values.states_something:
        if context.pending == "buy_product":
            # « plutôt en L », « non pas la parka, le sweat »: the offer again, changed.
            return Reading("purchase_intent", "changes the offer")
        if context.topic in REPEATABLE_TOPICS:
            why = "correction" if cues.is_correction(text) else "follow-up"
            return Reading(context.topic, f"{why} of {context.topic}")
        if values.products or values.place or values.order_number:
            return Reading("inform", "a bare value")
    if (
        wants
        and values.products
        and context.pending != "buy_product"
        and nlu_intent != "purchase_intent"
        and (
            nlu_intent in PRESALE_QUESTIONS
            or category_of(nlu_intent or "nlu_fallback") in (Category.SMALLTALK, Category.OTHER)
        )
    ):
        # « je voudrais les baskets en 42 : vous livrez à Bruxelles ? » wants the baskets; the
        # offer answers the questions around it.
        return Reading("purchase_intent", f"wants the product, asking {nlu_intent} around it")
    if (
        cues.is_follow_up(text)
        and values.states_something
        and context.topic in REPEATABLE_TOPICS
        and nlu_intent in ("product_advice", "inform", "out_of_scope", "nlu_fallback")
    ):
        return Reading(context.topic, f"follow-up of {context.topic} with more words")
    if nlu_intent == "affirm" and not yes and len(text.split()) > 1:
        # One word the classifier reads as yes is trusted (« ouin », « yup »): its lexicon is
        # wider than ours. Several words without a yes word are not a yes.
        # « c'est urgent svp » is not a yes: ask again what the bot was waiting for, if anything.
        if context.requested in ASKABLE:
            return Reading("inform", f"not a yes; still waiting for the {context.requested}")
        return Reading("nlu_fallback", "read as yes without a yes word")
    if (
        nlu_intent is not None
        and category_of(nlu_intent) in (Category.SMALLTALK, Category.OTHER)
        and context.pending == "buy_product"
        and yes
        and not values.residue[2:]
    ):
        # « ok parfait merci beaucoup » after an offer: still a yes.
        return Reading("affirm", "yes to buy_product among other words")
    return None
