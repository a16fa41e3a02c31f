"""Brand configuration: one ``brands/<slug>.yml`` per brand, loaded into typed objects.

A brand file holds everything the bot says about a brand: its name and voice, catalogue, delivery
zones, payment methods and instalments, promotion, stores, business hours and support policies.

Why this module is long: it is the whole schema of a brand file, one frozen dataclass and one
validating parser per section, read top to bottom; the largest section, ``handoff:``, has its own
module (handoff_config.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from bot.brand.errors import BrandError
from bot.brand.handoff_config import HandoffConfig, parse_handoff
from bot.settings import get_settings

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
GENDERS = ("m", "f")


@dataclass(frozen=True)
class Product:
    """One catalogue item; ``stock`` maps colour → size → units. ``gender`` ("m" or "f") and
    ``plural`` are those of its name, for the articles the bot writes (bot/brand/grammar.py)."""

    id: str
    name: str
    price: float
    description: str
    aliases: tuple[str, ...]
    tags: tuple[str, ...]
    sizes: tuple[str, ...]
    colours: tuple[str, ...]
    stock: Mapping[str, Mapping[str, int]]
    url: str | None = None
    gender: str = "m"
    plural: bool = False

    @property
    def price_cents(self) -> int:
        return int(round(self.price * 100))

    def units(self, colour: str | None = None, size: str | None = None) -> int:
        """Units in stock, optionally for one colour and/or one size."""
        return sum(
            units
            for c, by_size in self.stock.items()
            if colour is None or c == colour
            for s, units in by_size.items()
            if size is None or s == size
        )


@dataclass(frozen=True)
class DeliveryZone:
    """Where the brand ships, at what cost and how fast."""

    zone: str
    countries: tuple[str, ...]
    cost: float
    lead_time: str
    free_above: float | None = None
    note: str | None = None


@dataclass(frozen=True)
class Store:
    """A physical shop."""

    city: str
    address: str
    hours: str


@dataclass(frozen=True)
class Promo:
    """The current promotion, if any: ``percent`` off the ``products`` it lists (None: all)."""

    active: bool
    text: str = ""
    code: str | None = None
    until: str | None = None
    conditions: str | None = None
    percent: float | None = None
    products: tuple[str, ...] | None = None

    def applies_to(self, product_id: str) -> bool:
        """Whether the promotion is running and covers the product ``product_id``."""
        return self.active and (self.products is None or product_id in self.products)


@dataclass(frozen=True)
class Instalments:
    """Paying in ``count`` instalments, for orders from ``minimum`` (brand currency) paid with
    ``methods``."""

    count: int
    minimum: float
    methods: str | None = None


@dataclass(frozen=True)
class Billing:
    """What the brand pays the agency: per confirmed sale and/or a share of its revenue."""

    per_conversion: Decimal = Decimal("0")
    revenue_share_percent: Decimal = Decimal("0")
    attribution_window_days: int = 30


@dataclass(frozen=True)
class MessengerPage:
    """A Facebook page of the brand; its access token is read from the environment variable
    ``access_token_env`` (secrets never live in brand files)."""

    page_id: str
    access_token_env: str


@dataclass(frozen=True)
class Brand:
    """Everything the bot knows about one brand."""

    slug: str
    name: str
    currency: str
    timezone: str
    shop_url: str | None
    voice: Mapping[str, str]
    business_hours: Mapping[str, tuple[time, time]]
    human_response_delay: str
    catalogue: tuple[Product, ...]
    delivery: tuple[DeliveryZone, ...]
    payment_methods: tuple[str, ...]
    promo: Promo
    stores: tuple[Store, ...]
    policies: Mapping[str, str] = field(default_factory=dict)
    copy: Mapping[str, Any] = field(default_factory=dict)
    billing: Billing = field(default_factory=Billing)
    messenger_pages: tuple[MessengerPage, ...] = ()
    handoff: HandoffConfig = field(default_factory=lambda: parse_handoff(None, "brand"))
    instalments: Instalments | None = None

    def checkout_link(self, product: Product, ref: str) -> str | None:
        """The product's page in the online shop, tagged with the offer's ``ref``; None if no shop.

        Built only from the brand file and the ref: customer text never becomes a link.
        """
        if not self.shop_url:
            return None
        page = product.url or f"{self.shop_url.rstrip('/')}/produits/{product.id}"
        separator = "&" if "?" in page else "?"
        return f"{page}{separator}ref={ref}"

    def product(self, product_id: str) -> Product | None:
        """The product with this id, or None."""
        return next((p for p in self.catalogue if p.id == product_id), None)

    def zone_for_country(self, code: str) -> DeliveryZone | None:
        """The delivery zone serving an ISO country code; None if the brand doesn't ship there."""
        return next((z for z in self.delivery if code in z.countries), None)

    def is_open(self, moment: datetime) -> bool:
        """Whether community managers are working at ``moment`` (timezone-aware)."""
        local = moment.astimezone(ZoneInfo(self.timezone))
        hours = self.business_hours.get(_DAYS[local.weekday()])
        return hours is not None and hours[0] <= local.time() < hours[1]


def _require(data: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in data or data[key] in (None, ""):
        raise BrandError(f"{where}: missing '{key}'")
    return data[key]


def _parse_product(raw: Mapping[str, Any], where: str) -> Product:
    sizes = tuple(str(s) for s in _require(raw, "sizes", where))
    colours = tuple(str(c) for c in _require(raw, "colours", where))
    stock_raw = raw.get("stock") or {}
    stock: dict[str, dict[str, int]] = {}
    for colour, by_size in stock_raw.items():
        if colour not in colours:
            raise BrandError(f"{where}: stock colour {colour!r} not in colours")
        stock[str(colour)] = {}
        for size, units in (by_size or {}).items():
            if str(size) not in sizes:
                raise BrandError(f"{where}: stock size {size!r} not in sizes")
            if not isinstance(units, int) or units < 0:
                raise BrandError(f"{where}: stock of {colour}/{size} must be a whole number ≥ 0")
            stock[str(colour)][str(size)] = units
    price = float(_require(raw, "price", where))
    if price <= 0:
        raise BrandError(f"{where}: price must be positive")
    gender = raw.get("gender", "m")
    if gender not in GENDERS:
        raise BrandError(f"{where}: gender must be 'm' or 'f', not {gender!r}")
    if not isinstance(raw.get("plural", False), bool):
        raise BrandError(f"{where}: plural must be true or false")
    return Product(
        id=str(_require(raw, "id", where)),
        name=str(_require(raw, "name", where)),
        price=price,
        description=str(raw.get("description", "")),
        aliases=tuple(str(a) for a in raw.get("aliases", [])),
        tags=tuple(str(t) for t in raw.get("tags", [])),
        sizes=sizes,
        colours=colours,
        stock=stock,
        url=_parse_url(raw.get("url"), f"{where}: url") if raw.get("url") else None,
        gender=gender,
        plural=raw.get("plural", False),
    )


def _parse_url(value: Any, where: str) -> str:
    url = str(value).strip()
    if not re.match(r"^https://[^\s<>\"']+$", url):
        raise BrandError(f"{where}: {url!r} must be an https:// URL")
    return url


def _parse_decimal(value: Any, where: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise BrandError(f"{where}: {value!r} is not a number") from exc
    if not number.is_finite() or number < 0:
        raise BrandError(f"{where}: must be a number ≥ 0")
    return number


def _parse_billing(raw: Mapping[str, Any] | None, where: str) -> Billing:
    raw = raw or {}
    window = raw.get("attribution_window_days", 30)
    if not isinstance(window, int) or window <= 0:
        raise BrandError(f"{where}: billing.attribution_window_days must be a whole number > 0")
    percent = _parse_decimal(raw.get("revenue_share_percent", 0), f"{where}: billing")
    if percent > 100:
        raise BrandError(f"{where}: billing.revenue_share_percent must be at most 100")
    return Billing(
        per_conversion=_parse_decimal(raw.get("per_conversion", 0), f"{where}: billing"),
        revenue_share_percent=percent,
        attribution_window_days=window,
    )


def _parse_promo(raw: Mapping[str, Any] | None, ids: list[str], where: str) -> Promo:
    raw = raw or {"active": False}
    percent = raw.get("percent")
    if percent is not None:
        percent = float(_parse_decimal(percent, f"{where}: promo.percent"))
        if not 0 < percent <= 100:
            raise BrandError(f"{where}: promo.percent must be more than 0 and at most 100")
    products = raw.get("products")
    if products is not None:
        if not isinstance(products, list) or not products:
            raise BrandError(f"{where}: promo.products must list product ids (omit it for all)")
        unknown = [str(p) for p in products if str(p) not in ids]
        if unknown:
            raise BrandError(f"{where}: promo.products names unknown products {unknown}")
    return Promo(
        active=bool(raw.get("active")),
        text=str(raw.get("text", "")),
        code=raw.get("code"),
        until=str(raw["until"]) if raw.get("until") else None,
        conditions=raw.get("conditions"),
        percent=percent,
        products=None if products is None else tuple(str(p) for p in products),
    )


def _parse_instalments(raw: Any, where: str) -> Instalments | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or "count" not in raw:
        raise BrandError(f"{where}: instalments needs count (and optional minimum, methods)")
    count = raw["count"]
    if isinstance(count, bool) or not isinstance(count, int) or count < 2:
        raise BrandError(f"{where}: instalments.count must be a whole number ≥ 2, not {count!r}")
    methods = raw.get("methods")
    if methods is not None and not isinstance(methods, str):
        raise BrandError(f"{where}: instalments.methods must be text")
    return Instalments(
        count=count,
        minimum=float(_parse_decimal(raw.get("minimum", 0), f"{where}: instalments.minimum")),
        methods=methods or None,
    )


def _parse_hours(raw: Mapping[str, Any], where: str) -> dict[str, tuple[time, time]]:
    hours: dict[str, tuple[time, time]] = {}
    for day, span in (raw or {}).items():
        if day not in _DAYS:
            raise BrandError(f"{where}: business_hours day {day!r} is not one of {_DAYS}")
        try:
            start, end = (time.fromisoformat(str(t)) for t in span)
        except (TypeError, ValueError) as exc:
            raise BrandError(f"{where}: business_hours.{day} must be two HH:MM times") from exc
        if start >= end:
            raise BrandError(f"{where}: business_hours.{day} ends before it starts")
        hours[day] = (start, end)
    return hours


_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,127}$")
_PAGE_ID = re.compile(r"^[0-9]{1,32}$")


def _parse_messenger_pages(raw: Any, where: str) -> tuple[MessengerPage, ...]:
    entries = raw if isinstance(raw, list) else [raw] if raw else []
    pages = []
    for entry in entries:
        if not isinstance(entry, Mapping):
            raise BrandError(f"{where}: channels.messenger entries need page_id, access_token_env")
        page_id = str(entry.get("page_id", "")).strip()
        env = str(entry.get("access_token_env", "")).strip()
        if not _PAGE_ID.match(page_id):
            raise BrandError(f"{where}: channels.messenger page_id {page_id!r} must be digits")
        if not _ENV_NAME.match(env):
            raise BrandError(
                f"{where}: channels.messenger access_token_env {env!r} must name an environment "
                "variable (upper case), never hold the token itself"
            )
        pages.append(MessengerPage(page_id=page_id, access_token_env=env))
    return tuple(pages)


def parse_brand(data: Mapping[str, Any], where: str = "brand") -> Brand:
    """Build a validated :class:`Brand` from the mapping of a brand file."""
    slug = str(_require(data, "slug", where))
    if not _SLUG.match(slug):
        raise BrandError(f"{where}: slug {slug!r} must be lower-case letters, digits, - or _")
    tz = str(data.get("timezone", "Europe/Paris"))
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise BrandError(f"{where}: unknown timezone {tz!r}") from exc
    catalogue = tuple(
        _parse_product(p, f"{where}: catalogue[{i}]")
        for i, p in enumerate(_require(data, "catalogue", where))
    )
    ids = [p.id for p in catalogue]
    if len(set(ids)) != len(ids):
        raise BrandError(f"{where}: duplicate product ids")
    delivery = tuple(
        DeliveryZone(
            zone=str(_require(z, "zone", f"{where}: delivery")),
            countries=tuple(str(c) for c in _require(z, "countries", f"{where}: delivery")),
            cost=float(z.get("cost", 0)),
            lead_time=str(_require(z, "lead_time", f"{where}: delivery")),
            free_above=float(z["free_above"]) if z.get("free_above") is not None else None,
            note=z.get("note"),
        )
        for z in data.get("delivery", [])
    )
    return Brand(
        slug=slug,
        name=str(_require(data, "name", where)),
        currency=str(data.get("currency", "EUR")),
        timezone=tz,
        shop_url=_parse_url(data["shop_url"], f"{where}: shop_url")
        if data.get("shop_url")
        else None,
        voice={str(k): str(v) for k, v in (data.get("voice") or {}).items()},
        business_hours=_parse_hours(data.get("business_hours", {}), where),
        human_response_delay=str(data.get("human_response_delay", "dès que possible")),
        catalogue=catalogue,
        delivery=delivery,
        payment_methods=tuple(str(m) for m in data.get("payment_methods", [])),
        promo=_parse_promo(data.get("promo"), ids, where),
        stores=tuple(
            Store(city=str(s["city"]), address=str(s["address"]), hours=str(s["hours"]))
            for s in data.get("stores", [])
        ),
        policies={str(k): str(v) for k, v in (data.get("policies") or {}).items()},
        copy=dict(data.get("copy") or {}),
        billing=_parse_billing(data.get("billing"), where),
        messenger_pages=_parse_messenger_pages(
            (data.get("channels") or {}).get("messenger"), where
        ),
        handoff=parse_handoff(data.get("handoff"), where),
        instalments=_parse_instalments(data.get("instalments"), where),
    )


def brand_slugs(brands_dir: Path | None = None) -> list[str]:
    """Slugs of every brand file, sorted."""
    folder = brands_dir or get_settings().brands_dir
    return sorted(path.stem for path in folder.glob("*.yml") if _SLUG.match(path.stem))


def brand_path(slug: str, brands_dir: Path | None = None) -> Path:
    """Path of the file for brand ``slug``; rejects slugs that could escape the brands folder."""
    if not _SLUG.match(slug):
        raise BrandError(f"invalid brand slug {slug!r}")
    return (brands_dir or get_settings().brands_dir) / f"{slug}.yml"


@lru_cache(maxsize=64)
def _load_cached(path: Path, mtime_ns: int) -> Brand:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise BrandError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise BrandError(f"{path}: expected a mapping at the top level")
    return parse_brand(data, where=str(path.name))


def load_brand(slug: str | None = None, brands_dir: Path | None = None) -> Brand:
    """Load (and cache until the file changes) the brand ``slug``, by default the default brand."""
    path = brand_path(slug or get_settings().default_brand, brands_dir)
    try:
        mtime_ns = path.stat().st_mtime_ns
    except FileNotFoundError as exc:
        raise BrandError(f"no brand file at {path}") from exc
    return _load_cached(path, mtime_ns)
