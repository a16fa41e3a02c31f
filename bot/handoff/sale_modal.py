"""The "Vente conclue" form in Slack: a sale made by a community manager, and its amount.

:func:`sale_modal` is the Block Kit view for ``views.open``; :func:`read_sale_submission` reads
what the person typed ("189,90 €", "CHF 1'234.50", "189.-") into integer cents, or says in
French, under the field, what is wrong.
"""

from __future__ import annotations

import re
from typing import Any

from bot.sales.money import AmountError, parse_amount, parse_currency

MAX_ORDER_CHARS = 64
SALE_CALLBACK_ID = "handoff_sale"
AMOUNT_BLOCK_ID = "amount"
ORDER_BLOCK_ID = "order"
INPUT_ACTION_ID = "value"

_AMOUNT_AFFIX = r"(?:[€$£]|[A-Za-z]{1,3}\.?)"
_AMOUNT = re.compile(r"^\d+(?:[.,]\d{1,2})?$")
_ORDER = re.compile(r"^[A-Za-z0-9#._/-]+$")


class SaleInputError(ValueError):
    """A field of the sale modal is wrong; ``message`` (French) is shown under that field."""

    def __init__(self, block_id: str, message: str) -> None:
        super().__init__(f"{block_id}: {message}")
        self.block_id = block_id
        self.message = message

    def slack_response(self) -> dict[str, Any]:
        """The body that makes Slack show the error in the modal (``response_action: errors``)."""
        return {"response_action": "errors", "errors": {self.block_id: self.message}}


def sale_modal(escalation_id: str, currency: str) -> dict[str, Any]:
    """The modal opened by "Vente conclue": amount (required) and order number (optional).

    Raises:
        AmountError: ``currency`` is not an ISO 4217 code.
    """
    code = parse_currency(currency)
    return {
        "type": "modal",
        "callback_id": SALE_CALLBACK_ID,
        "private_metadata": escalation_id,
        "title": {"type": "plain_text", "text": "Vente conclue"},
        "submit": {"type": "plain_text", "text": "Enregistrer"},
        "close": {"type": "plain_text", "text": "Annuler"},
        "blocks": [
            {
                "type": "input",
                "block_id": AMOUNT_BLOCK_ID,
                "label": {"type": "plain_text", "text": f"Montant payé par le client ({code})"},
                "hint": {"type": "plain_text", "text": "Par exemple 189,90"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": INPUT_ACTION_ID,
                    "max_length": 20,
                    "placeholder": {"type": "plain_text", "text": "189,90"},
                },
            },
            {
                "type": "input",
                "block_id": ORDER_BLOCK_ID,
                "optional": True,
                "label": {"type": "plain_text", "text": "N° de commande"},
                "hint": {
                    "type": "plain_text",
                    "text": "Facultatif ; évite de compter deux fois la même vente.",
                },
                "element": {
                    "type": "plain_text_input",
                    "action_id": INPUT_ACTION_ID,
                    "max_length": MAX_ORDER_CHARS,
                },
            },
        ],
    }


def _input_value(view: dict[str, Any], block_id: str) -> str:
    values = (view.get("state") or {}).get("values") or {}
    value = ((values.get(block_id) or {}).get(INPUT_ACTION_ID) or {}).get("value")
    return value.strip() if isinstance(value, str) else ""


def _sale_amount(raw: str) -> int:
    if not raw:
        raise SaleInputError(AMOUNT_BLOCK_ID, "Indiquez le montant, par exemple 189,90.")
    number = re.sub(r"[\s'’]", "", raw)  # "1 234,50", Swiss "1'234.50"
    for _ in range(2):  # "189,90 €", "CHF 189.90", "189,90 $ CA"
        number = re.sub(rf"^{_AMOUNT_AFFIX}", "", number)
        number = re.sub(rf"{_AMOUNT_AFFIX}$", "", number)
    number = re.sub(r"[.,]-$", "", number)  # Swiss "189.-"
    if not _AMOUNT.match(number):
        raise SaleInputError(
            AMOUNT_BLOCK_ID,
            "Montant non reconnu : un nombre avec au plus deux décimales, sans séparateur de "
            "milliers, par exemple 1234,50.",
        )
    try:
        cents = parse_amount(number.replace(",", "."))
    except AmountError as error:
        raise SaleInputError(AMOUNT_BLOCK_ID, "Montant invraisemblable : vérifiez-le.") from error
    if cents == 0:
        raise SaleInputError(AMOUNT_BLOCK_ID, "Le montant doit être supérieur à zéro.")
    return cents


def read_sale_submission(view: dict[str, Any]) -> tuple[str, int, str | None]:
    """Read a submitted sale modal.

    Returns:
        ``(escalation_id, amount_cents, order_id or None)``.

    Raises:
        SaleInputError: The amount or the order number is wrong (answer Slack with
            ``error.slack_response()``).
        ValueError: The view is not a sale modal built by :func:`sale_modal`.
    """
    if view.get("callback_id") != SALE_CALLBACK_ID:
        raise ValueError(f"not a sale modal: callback_id {view.get('callback_id')!r}")
    escalation_id = view.get("private_metadata")
    if not isinstance(escalation_id, str) or not escalation_id:
        raise ValueError("sale modal without an escalation id in private_metadata")
    cents = _sale_amount(_input_value(view, AMOUNT_BLOCK_ID))
    order = _input_value(view, ORDER_BLOCK_ID) or None
    if order is not None and (len(order) > MAX_ORDER_CHARS or not _ORDER.match(order)):
        raise SaleInputError(
            ORDER_BLOCK_ID,
            f"N° de commande : {MAX_ORDER_CHARS} caractères au plus, "
            "lettres, chiffres et # . _ / - uniquement.",
        )
    return escalation_id, cents, order
