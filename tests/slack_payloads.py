"""Slack inbound requests, shaped and signed exactly as Slack sends them (tests only).

Events API bodies are JSON (docs.slack.dev/apis/events-api); interactivity bodies are
``application/x-www-form-urlencoded`` with one field, ``payload=<json>``
(docs.slack.dev/interactivity/handling-user-interaction). Both are signed like Slack signs them and
as ``slack_sdk.signature.SignatureVerifier`` checks: ``v0=`` + HMAC-SHA256 of
``v0:{timestamp}:{raw body}`` with the app's signing secret, in ``X-Slack-Signature``, next to
``X-Slack-Request-Timestamp`` (Slack's verifier refuses a timestamp more than 5 minutes away).

    body, headers = signed_event(SIGNING_SECRET, event_callback(thread_message(...)))
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

from tests.fakes.slack_api import APP_ID, BOT_ID, BOT_NAME, BOT_PROFILE, BOT_USER_ID, TEAM_ID

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy"
VERIFICATION_TOKEN = "Jhj5dZrVaK7ZwHHjRyZWjbDl"  # deprecated, still present in bodies
TEAM_DOMAIN = "causette"
CUSTOMER = "U_CM1"
CHANNEL = "C_LYON"
CHANNEL_NAMES = {"C_LYON": "support-lyon"}
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"

_ids = itertools.count(1)
_last_micros = 0


def new_ts() -> str:
    """A unique, increasing Slack ``ts`` (seconds.microseconds) from the clock."""
    global _last_micros
    _last_micros = max(int(time.time() * 1_000_000), _last_micros + 1)
    seconds, micros = divmod(_last_micros, 1_000_000)
    return f"{seconds}.{micros:06d}"


def encode(body: dict[str, Any]) -> bytes:
    """A JSON body as Slack writes it: compact, UTF-8."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# --- signing ---------------------------------------------------------------------------------


def sign(
    secret: str, body: bytes, timestamp: int | None = None, *, content_type: str = JSON
) -> dict[str, str]:
    """The headers Slack sends with ``body``: signature, timestamp (now by default), type."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + stamp.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {
        "Content-Type": content_type,
        "User-Agent": USER_AGENT,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={digest}",
    }


def signed_event(
    secret: str,
    body: dict[str, Any],
    retry_num: int | None = None,
    timestamp: int | None = None,
    retry_reason: str = "http_timeout",
) -> tuple[bytes, dict[str, str]]:
    """An Events API delivery ready to POST; ``retry_num`` makes it Slack's redelivery."""
    raw = encode(body)
    headers = sign(secret, raw, timestamp, content_type=JSON)
    if retry_num is not None:
        headers["X-Slack-Retry-Num"] = str(retry_num)
        headers["X-Slack-Retry-Reason"] = retry_reason
    return raw, headers


def signed_interaction(
    secret: str, payload: dict[str, Any], timestamp: int | None = None
) -> tuple[bytes, dict[str, str]]:
    """An interactivity request (``payload=<json>``, form-encoded) ready to POST."""
    raw = urlencode({"payload": encode(payload).decode("utf-8")}).encode("ascii")
    return raw, sign(secret, raw, timestamp, content_type=FORM)


# --- Events API ------------------------------------------------------------------------------


def url_verification(challenge: str) -> dict[str, Any]:
    """The handshake Slack sends when the Request URL is saved; answer with ``challenge``."""
    return {"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}


def event_callback(
    event: dict[str, Any],
    event_id: str | None = None,
    team_id: str = TEAM_ID,
    event_time: int | None = None,
) -> dict[str, Any]:
    """The envelope of one event; ``event_id`` stays the same across Slack's retries."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "context_team_id": team_id,
        "context_enterprise_id": None,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_ids):09d}FAKE",
        "event_time": int(time.time()) if event_time is None else event_time,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-fake-{team_id}-{event.get('channel', '')}",
    }


def rich_text(text: str) -> list[dict[str, Any]]:
    """The ``rich_text`` block Slack's clients attach to what a person types."""
    section = {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
    return [{"type": "rich_text", "block_id": f"rt{next(_ids)}", "elements": [section]}]


def message(
    channel: str,
    text: str,
    user: str = CUSTOMER,
    ts: str | None = None,
    thread_ts: str | None = None,
    parent_user_id: str = BOT_USER_ID,
) -> dict[str, Any]:
    """A ``message`` event a person posted (top-level, or in a thread if ``thread_ts``)."""
    ts = ts or new_ts()
    event: dict[str, Any] = {
        "client_msg_id": f"5f1e6c4b-0000-4000-8000-{next(_ids):012d}",
        "type": "message",
        "text": text,
        "user": user,
        "ts": ts,
        "blocks": rich_text(text),
        "team": TEAM_ID,
    }
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
        event["parent_user_id"] = parent_user_id
    event.update({"channel": channel, "event_ts": ts, "channel_type": "channel"})
    return event


def thread_message(
    channel: str, thread_ts: str, text: str, user: str = CUSTOMER, ts: str | None = None
) -> dict[str, Any]:
    """A person's reply in a thread (``message`` event with ``thread_ts``)."""
    return message(channel, text, user=user, ts=ts, thread_ts=thread_ts)


def bot_message(
    channel: str,
    thread_ts: str | None,
    text: str,
    bot_id: str = BOT_ID,
    ts: str | None = None,
    legacy: bool = False,
) -> dict[str, Any]:
    """Our own post as Slack echoes it back: ``bot_id`` (and ``user`` = the bot user).

    ``legacy=True`` gives the older shape: ``subtype: bot_message``, ``username``, no ``user``.
    """
    ts = ts or new_ts()
    event: dict[str, Any] = {"type": "message", "text": text, "ts": ts, "bot_id": bot_id}
    if legacy:
        event.update({"subtype": "bot_message", "username": BOT_NAME})
    else:
        event.update({"user": BOT_USER_ID, "app_id": APP_ID, "bot_profile": BOT_PROFILE})
    event.update({"blocks": rich_text(text), "team": TEAM_ID})
    if thread_ts is not None:
        event.update({"thread_ts": thread_ts, "parent_user_id": BOT_USER_ID})
    event.update({"channel": channel, "event_ts": ts, "channel_type": "channel"})
    return event


def message_changed(
    channel: str,
    ts: str,
    text: str,
    previous_text: str = "",
    user: str = CUSTOMER,
    thread_ts: str | None = None,
) -> dict[str, Any]:
    """A person edited message ``ts`` (subtype ``message_changed``, hidden)."""
    event_ts = new_ts()
    before = message(channel, previous_text, user=user, ts=ts, thread_ts=thread_ts)
    after = message(channel, text, user=user, ts=ts, thread_ts=thread_ts)
    for shown in (before, after):
        for key in ("channel", "event_ts", "channel_type"):
            shown.pop(key)
    after["edited"] = {"user": user, "ts": event_ts}
    return {
        "type": "message",
        "subtype": "message_changed",
        "message": after,
        "previous_message": before,
        "channel": channel,
        "hidden": True,
        "ts": event_ts,
        "event_ts": event_ts,
        "channel_type": "channel",
    }


# --- interactivity ---------------------------------------------------------------------------


def new_trigger_id() -> str:
    """A fresh ``trigger_id`` (Slack's are single-use and expire after 3 seconds)."""
    n = next(_ids)
    return f"7012345678901.1765367248{n:03d}.{hashlib.sha256(str(n).encode()).hexdigest()[:32]}"


def _user(user_id: str) -> dict[str, Any]:
    return {"id": user_id, "username": "camille", "name": "camille", "team_id": TEAM_ID}


def block_action(
    action_id: str,
    value: str,
    user_id: str = CUSTOMER,
    channel: str = CHANNEL,
    message_ts: str | None = None,
    trigger_id: str | None = None,
    block_id: str | None = None,
    *,
    thread_ts: str | None = None,
    message_text: str = "",
    message_blocks: list[dict[str, Any]] | None = None,
    button_text: str = "OK",
) -> dict[str, Any]:
    """A click on a button of one of our messages (``block_actions`` payload)."""
    message_ts = message_ts or new_ts()
    block_id = block_id or "actions"
    button = {
        "action_id": action_id,
        "block_id": block_id,
        "text": {"type": "plain_text", "text": button_text, "emoji": True},
        "value": value,
        "type": "button",
        "action_ts": new_ts(),
    }
    blocks = message_blocks or [
        {
            "type": "actions",
            "block_id": block_id,
            "elements": [{k: button[k] for k in ("type", "action_id", "text", "value")}],
        }
    ]
    clicked: dict[str, Any] = {
        "user": BOT_USER_ID,
        "type": "message",
        "ts": message_ts,
        "bot_id": BOT_ID,
        "app_id": APP_ID,
        "text": message_text,
        "team": TEAM_ID,
        "blocks": blocks,
    }
    if thread_ts is not None:
        clicked.update({"thread_ts": thread_ts, "parent_user_id": BOT_USER_ID})
    container: dict[str, Any] = {
        "type": "message",
        "message_ts": message_ts,
        "channel_id": channel,
        "is_ephemeral": False,
    }
    if thread_ts is not None:
        container["thread_ts"] = thread_ts
    return {
        "type": "block_actions",
        "user": _user(user_id),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": container,
        "trigger_id": trigger_id or new_trigger_id(),
        "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel, "name": CHANNEL_NAMES.get(channel, channel.lower())},
        "message": clicked,
        "state": {"values": {}},
        "response_url": f"https://hooks.slack.com/actions/{TEAM_ID}/{next(_ids)}/fakeResponseUrl",
        "actions": [button],
    }


def view_submission(
    callback_id: str,
    private_metadata: str,
    values: dict[str, dict[str, Any]],
    user_id: str = CUSTOMER,
    *,
    view_id: str | None = None,
) -> dict[str, Any]:
    """A modal submitted: ``values[block_id][action_id]`` is the typed text (or an element state).

    A plain string becomes ``{"type": "plain_text_input", "value": ...}``; a dict is kept as is
    (e.g. a ``static_select`` with ``selected_option``).
    """
    view_id = view_id or f"V{next(_ids):010d}"
    state = {
        block_id: {
            action_id: value
            if isinstance(value, dict)
            else {"type": "plain_text_input", "value": value}
            for action_id, value in actions.items()
        }
        for block_id, actions in values.items()
    }
    blocks = [
        {
            "type": "input",
            "block_id": block_id,
            "label": {"type": "plain_text", "text": block_id, "emoji": True},
            "optional": False,
            "dispatch_action": False,
            "element": {"type": "plain_text_input", "action_id": action_id, "multiline": True},
        }
        for block_id, actions in values.items()
        for action_id in actions
    ]
    return {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
        "user": _user(user_id),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": new_trigger_id(),
        "view": {
            "id": view_id,
            "team_id": TEAM_ID,
            "type": "modal",
            "blocks": blocks,
            "private_metadata": private_metadata,
            "callback_id": callback_id,
            "state": {"values": state},
            "hash": f"{int(time.time())}.fakeHash",
            "title": {"type": "plain_text", "text": "Causette", "emoji": True},
            "clear_on_close": False,
            "notify_on_close": False,
            "close": {"type": "plain_text", "text": "Annuler", "emoji": True},
            "submit": {"type": "plain_text", "text": "Envoyer", "emoji": True},
            "previous_view_id": None,
            "root_view_id": view_id,
            "app_id": APP_ID,
            "external_id": "",
            "app_installed_team_id": TEAM_ID,
            "bot_id": BOT_ID,
        },
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
