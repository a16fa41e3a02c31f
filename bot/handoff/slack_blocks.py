"""Slack messages of a handoff: the escalation card, thread mirrors, reminders.

Everything returned here is a plain Block Kit dict (or mrkdwn string) for ``chat.postMessage``
and ``chat.update``; the sale form is :mod:`bot.handoff.sale_modal`. Community managers read
French, so labels are French.

Customer text never turns into a mention or a link: it goes through :func:`escape` (Slack's
``&``, ``<``, ``>`` rule), and ``link_names`` is never set. Only Slack user and user-group ids
that match their format are written as mentions. Lengths are capped below Slack's limits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.brand.handoff_config import SLACK_USERGROUP_ID

MAX_SECTION_CHARS = 3000  # Slack: section text
MAX_FIELD_CHARS = 2000  # Slack: each section field
MAX_HEADER_CHARS = 150  # Slack: header text
MAX_LINE_CHARS = 500  # one transcript line
TRANSCRIPT_LINES = 10
MAX_ESCALATION_ID_CHARS = 255
ELLIPSIS = "…"
UNKNOWN = "—"

ACTION_CLAIM = "handoff_claim"
ACTION_RESOLVE = "handoff_resolve"
ACTION_SALE = "handoff_sale"
ACTIONS_BLOCK_ID = "handoff_actions"

STATUS_OPEN = "open"
STATUS_CLAIMED = "claimed"
STATUS_RESOLVED = "resolved"
STATUSES = (STATUS_OPEN, STATUS_CLAIMED, STATUS_RESOLVED)
STATUS_WORDS = {
    STATUS_OPEN: "En attente",
    STATUS_CLAIMED: "Pris en charge",
    STATUS_RESOLVED: "Résolu",
}

REASON_LABELS = {
    "requested": "demande à parler à quelqu'un",
    "complaint": "réclamation",
    "support_case": "cas de support à traiter par une personne",
    "low_confidence": "le bot ne comprend pas",
    "negative": "message très négatif",
    "large_order": "grosse commande",
}
CHANNEL_LABELS = {"messenger": "Messenger", "telegram": "Telegram"}
SPEAKER_LABELS = {"client": "Client", "bot": "Bot", "conseiller": "Conseiller"}
ATTACHMENT_LABELS = {
    "image": "une photo",
    "photo": "une photo",
    "video": "une vidéo",
    "audio": "un message vocal",
    "voice": "un message vocal",
    "file": "un fichier",
    "document": "un fichier",
    "sticker": "un autocollant",
    "location": "une position",
}

_USER_ID = re.compile(r"^[UW][A-Z0-9]+$")
_MRKDWN_MARKS = re.compile(r"[*_~`]")
_TRAILING_ENTITY = re.compile(r"&[a-z]{0,3}$")


@dataclass(frozen=True)
class EscalationCard:
    """What a community manager needs to know to take over a conversation.

    ``transcript`` holds ``(who, text)`` pairs, ``who`` being "client", "bot" or "conseiller";
    only the last :data:`TRANSCRIPT_LINES` are kept.
    """

    escalation_id: str
    brand_name: str
    customer_label: str
    channel: str
    reason: str
    category: str | None = None
    intent: str | None = None
    order_number: str | None = None
    product: str | None = None
    city: str | None = None
    team_name: str | None = None
    transcript: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if not self.escalation_id or len(self.escalation_id) > MAX_ESCALATION_ID_CHARS:
            raise ValueError(f"escalation_id must have 1 to {MAX_ESCALATION_ID_CHARS} characters")
        kept = tuple((str(who), str(text)) for who, text in self.transcript)[-TRANSCRIPT_LINES:]
        object.__setattr__(self, "transcript", kept)


def escape(text: str) -> str:
    """Escape ``&``, ``<`` and ``>`` so Slack shows ``text`` as is: no mention, no link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending with "…" if cut.

    Safe on escaped text: never leaves half an ``&amp;``-style entity.
    """
    if len(text) <= limit:
        return text
    return _TRAILING_ENTITY.sub("", text[: limit - len(ELLIPSIS)]) + ELLIPSIS


def _label(text: str) -> str:
    """Escaped text that can sit inside ``*bold*`` without breaking it."""
    return escape(_MRKDWN_MARKS.sub("", text).strip())


def user_mention(user_id: str | None) -> str:
    """``<@U…>`` for a valid Slack user id, else the value as harmless text."""
    if not user_id:
        return "quelqu'un"
    if _USER_ID.match(user_id):
        return f"<@{user_id}>"
    return escape(user_id)


def reason_label(reason: str) -> str:
    """The reason in French, or the raw value (escaped) if unknown."""
    return REASON_LABELS.get(reason, escape(reason))


def channel_label(channel: str) -> str:
    """ "Messenger", "Telegram", or the channel name as is (escaped)."""
    return CHANNEL_LABELS.get(channel.lower(), escape(channel))


def status_line(status: str, claimed_by: str | None = None, resolved_by: str | None = None) -> str:
    """The card's status in French, mentioning the community manager when known."""
    if status == STATUS_OPEN:
        return STATUS_WORDS[status]
    if status == STATUS_CLAIMED:
        return f"{STATUS_WORDS[status]} par {user_mention(claimed_by)}"
    if status == STATUS_RESOLVED:
        return f"{STATUS_WORDS[status]} par {user_mention(resolved_by or claimed_by)}"
    raise ValueError(f"unknown status {status!r}; expected one of {STATUSES}")


def _text(text: str, kind: str = "mrkdwn") -> dict[str, Any]:
    return {"type": kind, "text": text}


def _field(label: str, value: str | None) -> dict[str, Any]:
    shown = clip(escape(value.strip()), MAX_FIELD_CHARS - 50) if value and value.strip() else ""
    return _text(f"*{label}*\n{shown or UNKNOWN}")


def transcript_line(who: str, text: str) -> str:
    """One line of the transcript: ``*Client* : …``, on one line, escaped and capped."""
    speaker = SPEAKER_LABELS.get(who.lower()) or _label(who) or "?"
    return clip(f"*{speaker}* : {escape(' '.join(text.split()))}", MAX_LINE_CHARS)


def transcript_text(transcript: tuple[tuple[str, str], ...]) -> str:
    """The transcript section: most recent lines that fit in a section, oldest dropped first."""
    lines = [transcript_line(who, text) for who, text in transcript]
    title = "*Derniers messages*"
    dropped = False
    while lines and len("\n".join([title, *lines])) > MAX_SECTION_CHARS - 2:
        lines.pop(0)
        dropped = True
    return "\n".join([title, *(["…"] if dropped else []), *lines])


def _button(text: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": text, "emoji": True},
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def _actions(card: EscalationCard, status: str) -> list[dict[str, Any]]:
    buttons = []
    if status == STATUS_OPEN:
        buttons.append(_button("Je prends", ACTION_CLAIM, card.escalation_id, "primary"))
    buttons.append(_button("Résolu", ACTION_RESOLVE, card.escalation_id))
    buttons.append(_button("Vente conclue", ACTION_SALE, card.escalation_id))
    return buttons


def escalation_message(
    card: EscalationCard,
    status: str = STATUS_OPEN,
    claimed_by: str | None = None,
    resolved_by: str | None = None,
) -> tuple[str, list[dict[str, Any]]]:
    """The escalation posted to the team's channel, and its updates as the status changes.

    Args:
        card: What the community manager needs to know.
        status: "open", "claimed" or "resolved"; decides which buttons remain.
        claimed_by: Slack user id of who claimed it.
        resolved_by: Slack user id of who resolved it.

    Returns:
        ``(text, blocks)``: the plain fallback text (notifications) and the Block Kit blocks.
    """
    status_text = status_line(status, claimed_by, resolved_by)
    reason = reason_label(card.reason)
    channel = channel_label(card.channel)
    fallback = clip(
        f"{escape(card.brand_name)} : {reason} — {escape(card.customer_label)} ({channel})",
        MAX_SECTION_CHARS,
    )
    if status != STATUS_OPEN:  # no mention here: the fallback feeds notifications
        fallback = clip(f"[{STATUS_WORDS[status]}] {fallback}", MAX_SECTION_CHARS)
    intent = " / ".join(part for part in (card.category, card.intent) if part)
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": clip(
                    f"{card.brand_name} : {REASON_LABELS.get(card.reason, card.reason)}",
                    MAX_HEADER_CHARS,
                ),
                "emoji": True,
            },
        },
        {
            "type": "section",
            "fields": [
                _field("Client", card.customer_label),
                _text(f"*Canal*\n{channel or UNKNOWN}"),
                _text(f"*Motif*\n{reason or UNKNOWN}"),
                _field("Catégorie / intention", intent),
                _field("N° de commande", card.order_number),
                _field("Produit", card.product),
                _field("Ville", card.city),
                _field("Équipe", card.team_name),
            ],
        },
    ]
    if card.transcript:
        blocks.append({"type": "section", "text": _text(transcript_text(card.transcript))})
    blocks.append({"type": "context", "elements": [_text(f"*Statut* : {status_text}")]})
    if status != STATUS_RESOLVED:
        help_text = (
            "Vos réponses dans ce fil partent au client. Un message qui commence par « note: » "
            "reste interne. « !bot » rend la conversation au bot."
        )
        blocks.append({"type": "context", "elements": [_text(help_text)]})
        blocks.append(
            {"type": "actions", "block_id": ACTIONS_BLOCK_ID, "elements": _actions(card, status)}
        )
    return fallback, blocks


def mirror_text(customer_label: str, text: str) -> str:
    """A customer message copied into the thread: ``*Client* (label) : text``, escaped."""
    label = _label(customer_label)
    who = f"*Client* ({label})" if label else "*Client*"
    return clip(f"{who} : {escape(text.strip())}", MAX_SECTION_CHARS)


def attachment_text(kind: str) -> str:
    """Notice that the customer sent an attachment (shown on the customer's channel only)."""
    what = ATTACHMENT_LABELS.get(kind.lower(), "une pièce jointe")
    return f"*Client* : _a envoyé {what}, à voir sur son canal (non copiée dans Slack)._"


def reminder_text(usergroup: str | None, minutes: int) -> str:
    """Reminder in the thread when nobody claimed the escalation; mentions a valid user group."""
    mention = (
        f"<!subteam^{usergroup}> " if usergroup and SLACK_USERGROUP_ID.match(usergroup) else ""
    )
    return f"{mention}Personne n'a pris cette demande depuis {int(minutes)} min."
