"""The ``handoff:`` section of a brand file: when a person takes over, and which Slack team.

Escalations go to the Slack channel of the customer's local team: a team lists the places
(cities, regions) and/or the ISO country codes it covers; anything else goes to the default
channel (the choice itself is :func:`bot.handoff.routing.route`). Slack ids are validated here so
that a channel *name* or a typo fails at load time, not when a customer is waiting.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.brand.errors import BrandError
from bot.nlu.text import fold

SLACK_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")
SLACK_USERGROUP_ID = re.compile(r"^S[A-Z0-9]{2,}$")
DEFAULT_TEAM_NAME = "défaut"
DEFAULT_SLA_MINUTES = 15
DEFAULT_PEOPLE_FOR = frozenset({"damaged_or_wrong_item", "return_refund", "payment_problem"})

# Two-letter ISO 3166 codes, plus the umbrella zone "DOM" of bot/brand/places.yml.
_COUNTRY = re.compile(r"^(?:[A-Z]{2}|DOM)$")
_INTENT = re.compile(r"^[a-z][a-z0-9_]*$")
_HANDOFF_KEYS = frozenset(
    {"sla_minutes", "large_order_amount", "large_order_quantity", "people_for", "slack"}
)
_SLACK_KEYS = frozenset({"default_channel", "default_usergroup", "teams"})
_TEAM_KEYS = frozenset({"name", "channel", "usergroup", "places", "countries"})


@dataclass(frozen=True)
class SlackTeam:
    """A local team of community managers and the Slack channel its escalations go to.

    ``channel`` is None only for the default team of a brand without Slack.
    """

    name: str
    channel: str | None
    usergroup: str | None = None
    places: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()


@dataclass(frozen=True)
class HandoffConfig:
    """When the bot hands a conversation to a person, and where the escalation is posted."""

    sla_minutes: int
    large_order_amount: Decimal | None
    large_order_quantity: int | None
    people_for: frozenset[str]
    default_team: SlackTeam
    teams: tuple[SlackTeam, ...]


def _check_keys(raw: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
    unknown = sorted(str(key) for key in raw if key not in allowed)
    if unknown:
        raise BrandError(f"{where}: unknown key(s) {unknown}; expected some of {sorted(allowed)}")


def _positive_int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise BrandError(f"{where} must be a whole number > 0, not {value!r}")
    return value


def _positive_amount(value: Any, where: str) -> Decimal:
    if isinstance(value, bool):
        raise BrandError(f"{where} must be an amount > 0, not {value!r}")
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise BrandError(f"{where}: {value!r} is not a number") from exc
    if not amount.is_finite() or amount <= 0:
        raise BrandError(f"{where} must be an amount > 0, not {value!r}")
    return amount


def _channel(value: Any, where: str) -> str:
    channel = "" if value is None else str(value).strip()
    if not channel:
        raise BrandError(f"{where}: missing Slack channel id")
    if not SLACK_CHANNEL_ID.match(channel):
        raise BrandError(
            f"{where}: {channel!r} is not a Slack channel id (like C0123ABCD, from the channel's "
            "details in Slack, not its #name)"
        )
    return channel


def _usergroup(value: Any, where: str) -> str | None:
    if value is None or str(value).strip() == "":
        return None
    usergroup = str(value).strip()
    if not SLACK_USERGROUP_ID.match(usergroup):
        raise BrandError(
            f"{where}: {usergroup!r} is not a Slack user group id (like S0123ABCD, not @handle)"
        )
    return usergroup


def _strings(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(
        isinstance(item, str) and item.strip() for item in value
    ):
        raise BrandError(f"{where} must be a list of non-empty names")
    return [item.strip() for item in value]


def _countries(value: Any, where: str) -> tuple[str, ...]:
    codes = []
    for code in _strings(value, where):
        upper = code.upper()
        if not _COUNTRY.match(upper):
            raise BrandError(f"{where}: {code!r} is not a two-letter ISO country code like BE")
        codes.append(upper)
    return tuple(codes)


def _people_for(raw: Mapping[str, Any], where: str) -> frozenset[str]:
    if "people_for" not in raw:
        return DEFAULT_PEOPLE_FOR
    intents = _strings(raw["people_for"], f"{where}.people_for")
    for intent in intents:
        if not _INTENT.match(intent):
            raise BrandError(f"{where}.people_for: {intent!r} is not an intent name")
    return frozenset(intents)


def _parse_team(raw: Any, where: str) -> SlackTeam:
    if not isinstance(raw, Mapping):
        raise BrandError(f"{where} must be a mapping with name, channel, places and/or countries")
    _check_keys(raw, _TEAM_KEYS, where)
    name = str(raw.get("name") or "").strip()
    if not name:
        raise BrandError(f"{where}: missing 'name'")
    places = tuple(_strings(raw.get("places"), f"{where}.places"))
    countries = _countries(raw.get("countries"), f"{where}.countries")
    if not places and not countries:
        raise BrandError(f"{where} ({name}): list the places and/or countries the team covers")
    return SlackTeam(
        name=name,
        channel=_channel(raw.get("channel"), f"{where}.channel"),
        usergroup=_usergroup(raw.get("usergroup"), f"{where}.usergroup"),
        places=places,
        countries=countries,
    )


def _reject_duplicates(items: Iterable[tuple[str, str]], what: str, where: str) -> None:
    """``items`` are (key, team name); a key claimed by two teams makes routing ambiguous."""
    seen: dict[str, str] = {}
    for key, team in items:
        if key in seen:
            raise BrandError(f"{where}: {what} {key!r} is listed by both {seen[key]} and {team}")
        seen[key] = team


def _parse_slack(raw: Any, where: str) -> tuple[SlackTeam, tuple[SlackTeam, ...]]:
    if not isinstance(raw, Mapping):
        raise BrandError(f"{where} must be a mapping with at least default_channel")
    _check_keys(raw, _SLACK_KEYS, where)
    default = SlackTeam(
        name=DEFAULT_TEAM_NAME,
        channel=_channel(raw.get("default_channel"), f"{where}.default_channel"),
        usergroup=_usergroup(raw.get("default_usergroup"), f"{where}.default_usergroup"),
    )
    teams_raw = raw.get("teams") or []
    if not isinstance(teams_raw, list):
        raise BrandError(f"{where}.teams must be a list")
    teams = tuple(_parse_team(team, f"{where}.teams[{i}]") for i, team in enumerate(teams_raw))
    _reject_duplicates(((fold(t.name), t.name) for t in teams), "team name", where)
    _reject_duplicates(((fold(p), t.name) for t in teams for p in t.places), "place", where)
    _reject_duplicates(((c, t.name) for t in teams for c in t.countries), "country", where)
    return default, teams


def parse_handoff(raw: Mapping[str, Any] | None, where: str) -> HandoffConfig:
    """Build a validated :class:`HandoffConfig` from a brand file's ``handoff:`` mapping.

    Args:
        raw: The ``handoff:`` mapping, or None when the brand file has none (defaults apply;
            without ``slack:`` the default team has no channel and escalations cannot be posted).
        where: Where the mapping comes from (a file name), for error messages.

    Raises:
        BrandError: A value is missing, malformed or ambiguous.
    """
    where = f"{where}: handoff"
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise BrandError(f"{where} must be a mapping")
    _check_keys(raw, _HANDOFF_KEYS, where)
    amount = raw.get("large_order_amount")
    quantity = raw.get("large_order_quantity")
    if "slack" in raw:
        default_team, teams = _parse_slack(raw["slack"], f"{where}.slack")
    else:
        default_team, teams = SlackTeam(name=DEFAULT_TEAM_NAME, channel=None), ()
    return HandoffConfig(
        sla_minutes=_positive_int(
            raw.get("sla_minutes", DEFAULT_SLA_MINUTES), f"{where}.sla_minutes"
        ),
        large_order_amount=None
        if amount is None
        else _positive_amount(amount, f"{where}.large_order_amount"),
        large_order_quantity=None
        if quantity is None
        else _positive_int(quantity, f"{where}.large_order_quantity"),
        people_for=_people_for(raw, where),
        default_team=default_team,
        teams=teams,
    )
