"""The ``handoff:`` section of a brand file: defaults, validation, and routing to a local team."""

from decimal import Decimal

import pytest
import yaml

from bot.brand.errors import BrandError
from bot.brand.handoff_config import DEFAULT_PEOPLE_FOR, HandoffConfig, parse_handoff
from bot.handoff.routing import route

SECTION = """
sla_minutes: 15
large_order_amount: 500
large_order_quantity: 10
people_for: [damaged_or_wrong_item, return_refund, payment_problem]
slack:
  default_channel: C0DEFAULT
  default_usergroup: S0SUPPORT
  teams:
    - name: Paris
      channel: C0PARIS
      usergroup: S0PARIS
      places: [Paris, Île-de-France, Versailles, Boulogne-Billancourt]
    - name: Lyon
      channel: C0LYON
      places: [Lyon, Villeurbanne, Grenoble]
    - name: Bruxelles
      channel: C0BRUXELLES
      countries: [BE, LU]
    - name: Genève
      channel: C0GENEVE
      countries: [CH]
    - name: Québec
      channel: C0QUEBEC
      countries: [CA]
"""


def raw() -> dict:
    return yaml.safe_load(SECTION)


@pytest.fixture(scope="module")
def config() -> HandoffConfig:
    return parse_handoff(raw(), "demo.yml")


def test_full_section_is_parsed(config: HandoffConfig):
    assert config.sla_minutes == 15
    assert config.large_order_amount == Decimal("500")
    assert config.large_order_quantity == 10
    assert config.people_for == DEFAULT_PEOPLE_FOR
    assert config.default_team.name == "défaut"
    assert config.default_team.channel == "C0DEFAULT"
    assert config.default_team.usergroup == "S0SUPPORT"
    assert [t.name for t in config.teams] == ["Paris", "Lyon", "Bruxelles", "Genève", "Québec"]
    assert config.teams[0].usergroup == "S0PARIS" and config.teams[1].usergroup is None
    assert config.teams[2].countries == ("BE", "LU")


def test_missing_section_gives_defaults_without_a_channel():
    for missing in (None, {}):
        config = parse_handoff(missing, "demo.yml")
        assert config.sla_minutes == 15
        assert config.large_order_amount is None and config.large_order_quantity is None
        assert config.people_for == {"damaged_or_wrong_item", "return_refund", "payment_problem"}
        assert config.default_team.channel is None and config.teams == ()
        assert route(config, "Lyon") is config.default_team


def test_people_for_can_be_emptied():
    assert parse_handoff({"people_for": []}, "b.yml").people_for == frozenset()


@pytest.mark.parametrize(
    ("city", "team"),
    [
        ("Lyon", "Lyon"),
        ("lyon", "Lyon"),
        ("  LYON ", "Lyon"),
        ("Villeurbanne", "Lyon"),
        ("ile de france", "Paris"),
        ("Montréal", "Québec"),
        ("montreal", "Québec"),
        ("Genève", "Genève"),
        ("geneve", "Genève"),
        ("Liège", "Bruxelles"),
        ("Luxembourg", "Bruxelles"),
        ("Tataouine", "défaut"),
        ("Marseille", "défaut"),
        (None, "défaut"),
        ("", "défaut"),
    ],
)
def test_route_by_city(config: HandoffConfig, city: str | None, team: str):
    assert route(config, city).name == team


def test_route_by_place_named_in_text_when_city_unknown(config: HandoffConfig):
    assert route(config, None, "je suis à Villeurbanne, vous livrez ?").name == "Lyon"
    assert route(config, None, "livraison à Lausanne possible ?").name == "Genève"
    assert route(config, None, "bonjour, ma commande est en retard").name == "défaut"
    # a known city wins over the text
    assert route(config, "Lyon", "je suis en vacances à Genève").name == "Lyon"


def _with(path: str, value) -> dict:
    data = raw()
    *parents, key = path.split(".")
    node = data
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    if value is _DELETE:
        del node[key]
    else:
        node[key] = value
    return data


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("slack.default_channel", "support-general", "not a Slack channel id"),
        ("slack.default_channel", "#general", "not a Slack channel id"),
        ("slack.default_channel", _DELETE, "default_channel"),
        ("slack.default_channel", None, "default_channel"),
        ("slack.default_usergroup", "@support", "user group"),
        ("slack.teams.0.channel", "D0DIRECT", "not a Slack channel id"),
        ("slack.teams.0.channel", _DELETE, "channel"),
        ("slack.teams.0.usergroup", "U0PERSON", "user group"),
        ("slack.teams.2.countries", ["Belgique"], "country code"),
        ("slack.teams.2.countries", ["BEL"], "country code"),
        ("slack.teams.1.places", "Lyon", "list"),
        ("slack.teams.1.places", _DELETE, "places and/or countries"),
        ("slack.teams.1.name", _DELETE, "name"),
        ("slack.teams.1.chanel", "C0LYON", "unknown key"),
        ("slack.teams.4.countries", ["CH"], "both"),
        ("slack.teams.1.places", ["lyon", "Paris"], "both"),
        ("slack.teams.1.name", "paris", "both"),
        ("slack.teams", "Paris", "list"),
        ("slack", None, "mapping"),
        ("sla_minutes", 0, "sla_minutes"),
        ("sla_minutes", -5, "sla_minutes"),
        ("sla_minutes", "15", "sla_minutes"),
        ("sla_minutes", True, "sla_minutes"),
        ("sla_minutes", 7.5, "sla_minutes"),
        ("large_order_amount", -1, "large_order_amount"),
        ("large_order_amount", 0, "large_order_amount"),
        ("large_order_amount", "beaucoup", "not a number"),
        ("large_order_amount", "NaN", "large_order_amount"),
        ("large_order_quantity", -2, "large_order_quantity"),
        ("people_for", ["Return Refund"], "intent"),
        ("people_for", "return_refund", "list"),
        ("sla_minute", 15, "unknown key"),
    ],
)
def test_bad_sections_fail_clearly(path: str, value, message: str):
    with pytest.raises(BrandError, match=message) as error:
        parse_handoff(_with(path, value), "demo.yml")
    assert str(error.value).startswith("demo.yml: handoff")


def test_lower_case_country_codes_are_accepted():
    config = parse_handoff(_with("slack.teams.2.countries", ["be", "lu"]), "demo.yml")
    assert route(config, "Namur").name == "Bruxelles"


def test_amount_threshold_keeps_decimals():
    config = parse_handoff(_with("large_order_amount", "499.90"), "demo.yml")
    assert config.large_order_amount == Decimal("499.90")
