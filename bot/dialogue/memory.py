"""What the customer told us earlier in the conversation, kept in slots between turns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from bot.brand.brand_file import Brand, Product
from bot.dialogue.values import Values


@dataclass(frozen=True)
class Memory:
    """Facts stated earlier: product id, size, colour, place, budget, quantity, order number.

    Each field is a slot of the same name in domain.yml."""

    product: str | None = None
    size: str | None = None
    colour: str | None = None
    city: str | None = None
    budget: float | None = None
    quantity: int | None = None
    order_number: str | None = None
    # Other products the customer takes with ``product`` (« et si je prends un bonnet avec ? »).
    basket: tuple[str, ...] = ()

    @classmethod
    def from_slots(cls, slots: Mapping[str, Any]) -> Memory:
        """The memory held in a tracker's slots (unknown or empty slots are None)."""
        values = {f.name: slots.get(f.name) or None for f in fields(cls)}
        values["basket"] = tuple(values["basket"] or ())
        if values["budget"] is not None:
            values["budget"] = float(values["budget"])
        if values["quantity"] is not None:
            values["quantity"] = int(values["quantity"])
        return cls(**values)

    def as_slots(self) -> dict[str, Any]:
        slots = {f.name: getattr(self, f.name) for f in fields(self)}
        slots["basket"] = list(self.basket) or None
        return slots

    def changes(self, before: Memory) -> dict[str, Any]:
        """Slots whose value differs from ``before``."""
        now, then = self.as_slots(), before.as_slots()
        return {k: v for k, v in now.items() if v != then[k]}


def remember(brand: Brand, memory: Memory, values: Values) -> Memory:
    """``memory`` updated with what a message states.

    A new product keeps the size and colour said before only if it exists in them (« le sweat
    en M » then « et la parka ? » keeps M; « le jean en 42 » then « et le bonnet ? » drops 42).
    """
    updated = memory
    product = brand.product(values.product or "") if values.product else None
    if values.product is None and memory.product in values.negated_products:
        updated = replace(updated, product=None)
    if product is not None and product.id != memory.product:
        kept = memory.basket
        if values.adds and memory.product and not values.negated_products:
            kept = tuple(dict.fromkeys((*memory.basket, memory.product)))
        elif not values.adds:
            kept = ()  # another product instead: the basket starts again
        updated = replace(
            updated,
            product=product.id,
            size=memory.size if memory.size in product.sizes else None,
            colour=memory.colour if memory.colour in product.colours else None,
            basket=tuple(p for p in kept if p != product.id),
        )
    current = brand.product(updated.product or "")
    if values.size and (current is None or values.size in current.sizes):
        updated = replace(updated, size=values.size)
    if values.colour and (current is None or values.colour in current.colours):
        updated = replace(updated, colour=values.colour)
    if values.place:
        updated = replace(updated, city=values.place)
    if values.budget:
        updated = replace(updated, budget=values.budget)
    if values.quantity:
        updated = replace(updated, quantity=values.quantity)
    if values.order_number:
        updated = replace(updated, order_number=values.order_number)
    return updated


@dataclass(frozen=True)
class Basket:
    """What the customer would buy: the product in question (``quantity`` of it) and the others
    they take with it."""

    products: tuple[Product, ...]
    quantity: int = 1

    @property
    def amount(self) -> float:
        main, *others = self.products
        return main.price * self.quantity + sum(p.price for p in others)


def basket_of(brand: Brand, memory: Memory) -> Basket | None:
    """The basket the memory describes, or None without a product."""
    main = brand.product(memory.product or "")
    if main is None:
        return None
    others = tuple(p for p in map(brand.product, memory.basket) if p is not None)
    return Basket((main, *others), memory.quantity or 1)
