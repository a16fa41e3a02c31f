"""Multi-turn conversations played through the real server and checked turn by turn.

A conversation file (``tests/dialogue/<source>.yml``) lists conversations; each turn says which
*tags* the bot's reply must show (``expect``), which it must not (``forbid``) and which substrings
its texts must contain (``mentions``). Every turn also forbids ``fallback`` and ``handover`` unless
it expects them.

A turn is observed on the tracker: the events after the last ``user`` event give the keys of the
reply (``metadata.copy`` of texts sent by custom actions, ``metadata.utter_action`` of domain
responses, names of the actions run) and its texts. :data:`TAG_KEYS` maps tags to keys.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests
import yaml

DIALOGUE_DIR = Path(__file__).resolve().parent
EXAMPLE_FILE = DIALOGUE_DIR / "example.yml"
BRANDS_DIR = DIALOGUE_DIR.parents[1] / "brands"
REGIONS = ("fr", "be", "ch", "qc")
DEFAULT_BRAND = "demo"
IMPLICITLY_FORBIDDEN = ("fallback", "handover")
POST_TIMEOUT_S = 120
TRACKER_TIMEOUT_S = 30

# A tag is observed when one of its keys is in the reply. A key ending in "*" matches every key
# that starts with what comes before the "*".
TAG_KEYS: dict[str, tuple[str, ...]] = {
    "ask_product": ("utter_ask_which_product",),
    "offer": ("utter_product_offer",),
    "ask_confirm": ("utter_ask_buy", "utter_ask_buy_again"),
    "link": ("utter_checkout_link",),
    # The offer states the product's price too.
    "price": ("utter_price", "utter_price_with_promo", "utter_product_offer"),
    "price_list": ("utter_price_list",),
    "stock": (
        "utter_stock_in",
        "utter_stock_low",
        "utter_stock_out",
        "utter_stock_product_out",
        "utter_stock_overview",
        "utter_stock_alternatives_sizes",
        "utter_stock_alternatives_colours",
        "utter_unknown_variant",
    ),
    "out_of_stock": ("utter_stock_out", "utter_stock_product_out"),
    "delivery": ("utter_delivery_quote", "utter_delivery_overview"),
    "free_delivery": ("utter_delivery_free_for_product", "utter_delivery_free_above"),
    "ask_city": ("utter_ask_location",),
    "not_delivered": ("utter_delivery_not_served",),
    "payment": (
        "utter_payment_methods",
        "utter_instalments_ok",
        "utter_instalments_below_minimum",
        "utter_instalments_rule",
    ),
    "instalments": (
        "utter_instalments_ok",
        "utter_instalments_below_minimum",
        "utter_instalments_rule",
    ),
    "promo": ("utter_promo", "utter_promo_until", "utter_no_promo", "utter_price_with_promo"),
    "store": ("utter_store", "utter_store_nearby", "utter_store_list", "utter_store_none_nearby"),
    "advice": ("utter_advice_product", "utter_advice_size"),
    "suggestions": ("utter_advice_suggestions", "utter_budget_suggestions"),
    "support": ("utter_policy", "utter_support_ack_*"),
    "ask_order_number": ("utter_ask_order_number",),
    "order_noted": ("utter_order_number_noted",),
    "handover": (
        "action_escalate",
        "utter_handoff",
        "utter_handoff_closed",
        "utter_handoff_large_order",
    ),
    "fallback": ("utter_ask_rephrase", "utter_offer_human", "action_low_confidence"),
    "polite_end": ("utter_ok_no_problem", "utter_lead_cancelled", "utter_anything_else"),
    "welcome": ("utter_you_are_welcome",),
    # The double-debit answer (a support message read as a payment problem).
    "payment_support": ("utter_support_ack_payment_problem",),
    # "That did not help": an apology and the offer of a person, not the same answer again.
    "sorry": ("utter_sorry_not_helpful",),
    "goodbye": ("utter_goodbye",),
}

_CONVERSATION_FIELDS = {"id", "theme", "region", "brand", "turns"}
_TURN_FIELDS = {"user", "expect", "forbid", "mentions"}
_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2019": "'"})


class SuiteError(ValueError):
    """A conversation file that cannot be played: the message names the file and the place."""


@dataclass(frozen=True)
class Turn:
    """One customer message and what the bot's reply to it must (not) show."""

    user: str
    expect: tuple[str, ...] = ()
    forbid: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()

    @property
    def forbidden(self) -> tuple[str, ...]:
        """The tags this turn must not show: its ``forbid`` and the implicit ones it doesn't
        expect."""
        implicit = tuple(t for t in IMPLICITLY_FORBIDDEN if t not in self.expect)
        return tuple(dict.fromkeys(self.forbid + implicit))


@dataclass(frozen=True)
class Conversation:
    """One conversation of a file; ``source`` is the file's stem ("team", "blind" …)."""

    id: str
    theme: str
    region: str
    turns: tuple[Turn, ...]
    source: str
    brand: str = DEFAULT_BRAND


@dataclass(frozen=True)
class Observation:
    """What the bot did in reply to one message: response and action keys, tags, texts."""

    keys: frozenset[str]
    tags: frozenset[str]
    text: str


@dataclass(frozen=True)
class TurnResult:
    """One played turn (``number`` counts from 1) and what was wrong with it."""

    number: int
    turn: Turn
    observation: Observation
    problems: tuple[str, ...]

    @property
    def right(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class ConversationResult:
    """A played conversation: the sender it used and every turn's result."""

    conversation: Conversation
    sender: str
    turns: tuple[TurnResult, ...]

    @property
    def fully_right(self) -> bool:
        return all(turn.right for turn in self.turns)

    @property
    def wrong_turns(self) -> tuple[TurnResult, ...]:
        return tuple(turn for turn in self.turns if not turn.right)


@dataclass
class Tally:
    """Conversations and turns played, and how many of each were right."""

    conversations: int = 0
    fully_right: int = 0
    turns: int = 0
    turns_right: int = 0

    def add(self, result: ConversationResult) -> None:
        self.conversations += 1
        self.fully_right += result.fully_right
        self.turns += len(result.turns)
        self.turns_right += sum(turn.right for turn in result.turns)

    @property
    def conversation_share(self) -> float:
        return self.fully_right / self.conversations if self.conversations else 0.0

    @property
    def turn_share(self) -> float:
        return self.turns_right / self.turns if self.turns else 0.0


@dataclass
class Summary:
    """Tallies overall, per theme and per source (both sorted by name)."""

    overall: Tally = field(default_factory=Tally)
    by_theme: dict[str, Tally] = field(default_factory=dict)
    by_source: dict[str, Tally] = field(default_factory=dict)


def fold(text: str) -> str:
    """``text`` for a lenient comparison: casefolded, accents stripped, no-break spaces and
    typographic apostrophes made plain."""
    decomposed = unicodedata.normalize("NFD", text.translate(_SPACES).casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def conversation_files(directory: Path = DIALOGUE_DIR) -> list[Path]:
    """The conversation sets of ``directory`` (every ``*.yml`` but the example), sorted."""
    return sorted(p for p in directory.glob("*.yml") if p.name != EXAMPLE_FILE.name)


def load_conversations(paths: Iterable[Path]) -> list[Conversation]:
    """The conversations of ``paths``, in file order.

    Raises:
        SuiteError: a file is not valid YAML, misses a field, names an unknown tag or region, or
            repeats a conversation id.
    """
    conversations: list[Conversation] = []
    for path in paths:
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as error:
            raise SuiteError(f"{path.name}: not valid YAML: {error}") from error
        items = data.get("conversations") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise SuiteError(f"{path.name}: expected a top-level `conversations:` list")
        seen: set[str] = set()
        for index, item in enumerate(items, start=1):
            conversation = _conversation(item, path.stem, f"{path.name}, conversation {index}")
            if conversation.id in seen:
                raise SuiteError(f"{path.name}: conversation id {conversation.id!r} is repeated")
            seen.add(conversation.id)
            conversations.append(conversation)
    return conversations


def _conversation(item: Any, source: str, where: str) -> Conversation:
    if not isinstance(item, dict):
        raise SuiteError(f"{where}: expected a mapping with id, theme, region and turns")
    _no_unknown_fields(item, _CONVERSATION_FIELDS, where)
    ident = _text(item.get("id"), f"{where}: id")
    where = f"{where} ({ident!r})"
    theme = _text(item.get("theme"), f"{where}: theme")
    region = _text(item.get("region"), f"{where}: region")
    if region not in REGIONS:
        raise SuiteError(f"{where}: region {region!r} is not one of {', '.join(REGIONS)}")
    brand = _text(item.get("brand", DEFAULT_BRAND), f"{where}: brand")
    if not (BRANDS_DIR / f"{brand}.yml").is_file():
        raise SuiteError(f"{where}: brand {brand!r} has no brands/{brand}.yml")
    turns = item.get("turns")
    if not isinstance(turns, list) or not turns:
        raise SuiteError(f"{where}: expected a non-empty `turns:` list")
    return Conversation(
        id=ident,
        theme=theme,
        region=region,
        brand=brand,
        source=source,
        turns=tuple(_turn(turn, f"{where}, turn {n}") for n, turn in enumerate(turns, start=1)),
    )


def _turn(item: Any, where: str) -> Turn:
    if not isinstance(item, dict):
        raise SuiteError(f"{where}: expected a mapping with `user:` and `expect:`")
    _no_unknown_fields(item, _TURN_FIELDS, where)
    user = _text(item.get("user"), f"{where}: user", empty_ok=True)
    expect = _tags(item.get("expect"), f"{where}: expect")
    forbid = _tags(item.get("forbid"), f"{where}: forbid")
    both = sorted(set(expect) & set(forbid))
    if both:
        raise SuiteError(f"{where}: tag(s) {', '.join(both)} both expected and forbidden")
    mentions = tuple(_text(m, f"{where}: mention") for m in _list(item.get("mentions"), where))
    return Turn(user=user, expect=expect, forbid=forbid, mentions=mentions)


def _tags(value: Any, where: str) -> tuple[str, ...]:
    tags = tuple(_text(tag, where) for tag in _list(value, where))
    unknown = [tag for tag in tags if tag not in TAG_KEYS]
    if unknown:
        raise SuiteError(
            f"{where}: unknown tag(s) {', '.join(map(repr, unknown))}; "
            f"known tags: {', '.join(TAG_KEYS)}"
        )
    return tags


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return [value]
    if isinstance(value, list):
        return value
    raise SuiteError(f"{where}: expected a list, got {value!r}")


def _text(value: Any, where: str, empty_ok: bool = False) -> str:
    """A YAML scalar as text; integers are accepted, booleans (unquoted no/yes/on/off) are not."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not (value or empty_ok):
        hint = (
            " (quote it: YAML reads no/yes/on/off as booleans)" if isinstance(value, bool) else ""
        )
        raise SuiteError(f"{where}: expected text, got {value!r}{hint}")
    return value


def _no_unknown_fields(item: dict[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(set(item) - known)
    if unknown:
        raise SuiteError(
            f"{where}: unknown field(s) {', '.join(map(str, unknown))}; "
            f"expected {', '.join(sorted(known))}"
        )


def tags_of(keys: Iterable[str]) -> frozenset[str]:
    """The tags observed when the reply has ``keys``."""
    keys = frozenset(keys)
    return frozenset(
        tag
        for tag, patterns in TAG_KEYS.items()
        if any(_matches(pattern, key) for pattern in patterns for key in keys)
    )


def _matches(pattern: str, key: str) -> bool:
    return key.startswith(pattern[:-1]) if pattern.endswith("*") else key == pattern


def observe(tracker_events: list[dict[str, Any]]) -> Observation:
    """The reply to the latest user message: the events after the last ``user`` event."""
    last_user = max(
        (i for i, event in enumerate(tracker_events) if event.get("event") == "user"), default=-1
    )
    keys: set[str] = set()
    texts: list[str] = []
    for event in tracker_events[last_user + 1 :]:
        kind = event.get("event")
        if kind == "bot":
            metadata = event.get("metadata") or {}
            keys.update(str(metadata[k]) for k in ("copy", "utter_action") if metadata.get(k))
            if event.get("text"):
                texts.append(str(event["text"]))
            buttons = (event.get("data") or {}).get("buttons") or []
            texts.extend(str(b["title"]) for b in buttons if isinstance(b, dict) and b.get("title"))
        elif kind == "action" and event.get("name") and event["name"] != "action_listen":
            keys.add(str(event["name"]))
    return Observation(keys=frozenset(keys), tags=tags_of(keys), text="\n".join(texts))


def check(turn: Turn, observation: Observation) -> list[str]:
    """What is wrong with ``observation`` as the reply to ``turn`` (empty when it is right)."""
    problems = [
        f"expected {tag}, not observed" for tag in turn.expect if tag not in observation.tags
    ]
    problems += [f"forbidden {tag} observed" for tag in turn.forbidden if tag in observation.tags]
    text = fold(observation.text)
    problems += [f"missing mention {m!r}" for m in turn.mentions if fold(m) not in text]
    return problems


def sender_for(conversation: Conversation) -> str:
    """A fresh sender id for one playing of ``conversation``."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", conversation.id)[:40]
    return f"dlg-{slug}-{uuid.uuid4().hex[:8]}"


def play(conversation: Conversation, url: str, session: requests.Session) -> ConversationResult:
    """Play every turn of ``conversation`` against the server at ``url`` with a fresh sender.

    A wrong turn does not stop the conversation; a failed request makes that turn wrong.
    """
    sender = sender_for(conversation)
    results: list[TurnResult] = []
    for number, turn in enumerate(conversation.turns, start=1):
        try:
            observation = _send(turn.user, sender, conversation.brand, url.rstrip("/"), session)
            problems = check(turn, observation)
        except (requests.RequestException, ValueError) as error:
            observation = Observation(frozenset(), frozenset(), "")
            problems = [f"request failed: {error}"]
        results.append(TurnResult(number, turn, observation, tuple(problems)))
    return ConversationResult(conversation, sender, tuple(results))


def _send(text: str, sender: str, brand: str, url: str, session: requests.Session) -> Observation:
    response = session.post(
        f"{url}/webhooks/rest/webhook",
        json={"sender": sender, "message": text, "metadata": {"brand": brand}},
        timeout=POST_TIMEOUT_S,
    )
    response.raise_for_status()
    response = session.get(
        f"{url}/conversations/{quote(sender, safe='')}/tracker", timeout=TRACKER_TIMEOUT_S
    )
    response.raise_for_status()
    return observe(response.json().get("events") or [])


def summarise(results: Iterable[ConversationResult]) -> Summary:
    """Conversations and turns played and right, overall, per theme and per source."""
    summary = Summary()
    for result in results:
        summary.overall.add(result)
        summary.by_theme.setdefault(result.conversation.theme, Tally()).add(result)
        summary.by_source.setdefault(result.conversation.source, Tally()).add(result)
    summary.by_theme = dict(sorted(summary.by_theme.items()))
    summary.by_source = dict(sorted(summary.by_source.items()))
    return summary


def summary_table(summary: Summary, by: str = "theme") -> list[str]:
    """A Markdown table of ``summary``: a row per theme (``by="theme"``) or per source
    (``by="source"``), then the overall row."""
    groups = {"theme": summary.by_theme, "source": summary.by_source}[by]
    lines = [
        f"| {by} | conversations | fully right | turns | turns right |",
        "|---|---|---|---|---|",
    ]
    for name, tally in [*groups.items(), ("**overall**", summary.overall)]:
        lines.append(
            f"| {name} | {tally.conversations} | {tally.conversation_share:.0%} "
            f"({tally.fully_right}) | {tally.turns} | {tally.turn_share:.0%} "
            f"({tally.turns_right}) |"
        )
    return lines


def describe_wrong_turns(result: ConversationResult) -> list[str]:
    """A few lines per wrong turn of ``result``: what was said, expected, observed, replied."""
    conversation = result.conversation
    lines: list[str] = []
    for played in result.wrong_turns:
        turn, seen = played.turn, played.observation
        lines.append(
            f"[{conversation.source}] {conversation.id} turn {played.number}: {turn.user!r}"
        )
        lines.append(f"    expected: {_names(turn.expect)}    forbidden: {_names(turn.forbidden)}")
        if turn.mentions:
            lines.append(f"    mentions: {', '.join(map(repr, turn.mentions))}")
        lines.append(
            f"    observed: {_names(sorted(seen.tags))}    keys: {_names(sorted(seen.keys))}"
        )
        lines.append(f"    problems: {'; '.join(played.problems)}")
        lines.append(f"    reply: {seen.text.replace(chr(10), ' / ') or '(no reply)'}")
    return lines


def _names(names: Iterable[str]) -> str:
    return ", ".join(names) or "-"


def tables_by_source(results: Iterable[ConversationResult]) -> list[str]:
    """Markdown: for each source, its name in bold and its per-theme table."""
    results = list(results)
    lines: list[str] = []
    for source in sorted({r.conversation.source for r in results}):
        summary = summarise(r for r in results if r.conversation.source == source)
        lines += ["", f"**{source}** (`tests/dialogue/{source}.yml`)", "", *summary_table(summary)]
    return lines[1:]
