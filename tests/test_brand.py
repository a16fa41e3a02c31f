"""Brand files: the demo brand loads, and broken files fail with a clear message."""

from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml

from bot.brand.brand_file import brand_path, load_brand, parse_brand
from bot.brand.errors import BrandError

DEMO = Path(__file__).parents[1] / "brands" / "demo.yml"


def demo_data() -> dict:
    return yaml.safe_load(DEMO.read_text(encoding="utf-8"))


def test_demo_brand_is_complete():
    brand = load_brand("demo")
    assert brand.name == "Maison Brume"
    assert len(brand.catalogue) == 8
    assert {z.zone for z in brand.delivery} >= {"Suisse", "DOM-TOM", "Canada"}
    assert brand.zone_for_country("BE").zone == "Belgique et Luxembourg"
    assert brand.stores and brand.payment_methods and brand.promo.active
    assert brand.product("parka_boreale").units("kaki", "XS") == 0
    assert brand.product("baskets_lumiere").plural and brand.product("parka_boreale").gender == "f"
    assert brand.promo.percent == 15 and brand.instalments.count == 3


def test_business_hours_in_the_brand_timezone():
    brand = load_brand("demo")
    # Monday 30 November 2026, 09:30 in Paris is 08:30 timezone.utc.
    assert brand.is_open(datetime(2026, 11, 30, 8, 30, tzinfo=timezone.utc))
    assert not brand.is_open(datetime(2026, 11, 30, 17, 30, tzinfo=timezone.utc))
    assert not brand.is_open(datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc))  # Sunday


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("name"), "missing 'name'"),
        (lambda d: d.update(slug="Demo Brand"), "slug"),
        (
            lambda d: d["catalogue"][0]["stock"].update({"violet": {"M": 1}}),
            "not in colours",
        ),
        (
            lambda d: d["catalogue"][1].update(id=d["catalogue"][0]["id"]),
            "duplicate product ids",
        ),
        (lambda d: d["catalogue"][0].update(price=-3), "price must be positive"),
        (
            lambda d: d["business_hours"].update(mon=["18:00", "09:00"]),
            "ends before it starts",
        ),
        (lambda d: d.update(timezone="Mars/Olympus"), "unknown timezone"),
    ],
)
def test_broken_brand_files_are_rejected(mutate, message):
    data = demo_data()
    mutate(data)
    with pytest.raises(BrandError, match=message):
        parse_brand(data)


def test_slug_cannot_escape_the_brands_folder():
    with pytest.raises(BrandError):
        brand_path("../secrets")


def test_missing_brand_file(tmp_path):
    with pytest.raises(BrandError, match="no brand file"):
        load_brand("nobody", tmp_path)


def test_brand_file_is_reloaded_when_it_changes(tmp_path):
    data = demo_data()
    path = tmp_path / "demo.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert load_brand("demo", tmp_path).name == "Maison Brume"
    data["name"] = "Maison Brume Genève"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    import os

    os.utime(path, ns=(1, 10**18))
    assert load_brand("demo", tmp_path).name == "Maison Brume Genève"


def test_messenger_pages_name_an_environment_variable_never_a_token():
    data = demo_data()
    data["channels"] = {"messenger": {"page_id": "777", "access_token_env": "NORD_TOKEN"}}
    [page] = parse_brand(data).messenger_pages
    assert (page.page_id, page.access_token_env) == ("777", "NORD_TOKEN")
    data["channels"]["messenger"]["access_token_env"] = "EAAGm0PX4ZCpsBAOxyz"  # a token pasted
    with pytest.raises(BrandError, match="environment"):
        parse_brand(data)
    data["channels"]["messenger"] = {"page_id": "my-page", "access_token_env": "NORD_TOKEN"}
    with pytest.raises(BrandError, match="digits"):
        parse_brand(data)
