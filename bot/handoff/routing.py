"""Which local team of community managers gets an escalation: the customer's place decides."""

from __future__ import annotations

from bot.brand.handoff_config import HandoffConfig, SlackTeam
from bot.brand.places import country_of, find_place
from bot.nlu.text import fold


def _team_for(config: HandoffConfig, place: str, code: str | None) -> SlackTeam | None:
    folded = fold(place)
    for team in config.teams:
        if any(fold(p) == folded for p in team.places):
            return team
    if code is not None:
        for team in config.teams:
            if code in team.countries:
                return team
    return None


def route(config: HandoffConfig, city: str | None, text: str | None = None) -> SlackTeam:
    """The team whose channel gets the escalation of a customer in ``city``.

    A team listing the city among its ``places`` (case and accents ignored) wins, then a team
    covering the city's country. Without a city, the first place named in ``text`` is used the
    same way. Otherwise the default team.
    """
    team = None
    if city and city.strip():
        team = _team_for(config, city, country_of(city))
    elif text:
        found = find_place(text)
        if found is not None:
            team = _team_for(config, found[0], found[1])
    return team or config.default_team
