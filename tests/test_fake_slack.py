"""The fake Slack Web API, driven by the real slack_sdk AsyncWebClient, and the signed payloads.

If these pass, a connector tested against ``FakeSlackApi`` and ``tests.slack_payloads`` meets
the same client behaviour (JSON vs query bodies, errors, 429 retries, timeouts) and the same
signature check as against Slack.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from urllib.parse import parse_qs

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.slack_api import BOT_ID, BOT_USER_ID, FakeSlackApi
from tests.slack_payloads import (
    BOT_TOKEN,
    CHANNEL,
    SIGNING_SECRET,
    block_action,
    bot_message,
    event_callback,
    message_changed,
    sign,
    signed_event,
    signed_interaction,
    thread_message,
    url_verification,
    view_submission,
)

METADATA = {"event_type": "handoff_posted", "event_payload": {"handoff_id": "h-42"}}
BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Nouvelle demande*"}}]


@pytest.fixture
def slack() -> Iterator[FakeSlackApi]:
    with FakeSlackApi(BOT_TOKEN, channels={CHANNEL, "C_PARIS"}) as fake:
        yield fake


def client_for(slack: FakeSlackApi, token: str = BOT_TOKEN, **options: object) -> AsyncWebClient:
    return AsyncWebClient(token=token, base_url=slack.url, **options)  # type: ignore[arg-type]


async def error_of(call: object) -> SlackApiError:
    with pytest.raises(SlackApiError) as caught:
        await call  # type: ignore[misc]
    return caught.value


# --- the Web API -----------------------------------------------------------------------------


async def test_auth_test_names_the_bot(slack: FakeSlackApi) -> None:
    answer = await client_for(slack).auth_test()

    assert (answer["user_id"], answer["bot_id"], answer["team_id"]) == (BOT_USER_ID, BOT_ID, "T1")
    assert slack.calls("auth.test")[0].status == 200


async def test_post_then_reply_in_thread_then_update(slack: FakeSlackApi) -> None:
    client = client_for(slack)

    posted = await client.chat_postMessage(
        channel=CHANNEL, text="Nouvelle demande", blocks=BLOCKS, metadata=METADATA
    )
    parent = posted["ts"]
    reply = await client.chat_postMessage(channel=CHANNEL, text="Pris en charge", thread_ts=parent)
    await client.chat_update(channel=CHANNEL, ts=parent, text="Demande traitée", blocks=BLOCKS)

    assert posted["channel"] == CHANNEL and posted["message"]["metadata"] == METADATA
    assert float(reply["ts"]) > float(parent)
    assert [m["text"] for m in slack.messages(CHANNEL)] == ["Demande traitée"]
    assert [m["text"] for m in slack.replies(CHANNEL, parent)] == ["Pris en charge"]
    assert slack.updates[0]["ts"] == parent
    thread = await client.conversations_replies(channel=CHANNEL, ts=parent)
    assert [m["ts"] for m in thread["messages"]] == [parent, reply["ts"]]
    assert thread["messages"][0]["reply_count"] == 1
    assert thread["messages"][1]["parent_user_id"] == BOT_USER_ID


async def test_history_lists_top_level_posts_newest_first_with_metadata(
    slack: FakeSlackApi,
) -> None:
    client = client_for(slack)
    first = await client.chat_postMessage(channel=CHANNEL, text="un", metadata=METADATA)
    await client.chat_postMessage(channel=CHANNEL, text="réponse", thread_ts=first["ts"])
    second = await client.chat_postMessage(channel=CHANNEL, text="deux")
    await client.chat_postMessage(channel="C_PARIS", text="ailleurs")

    history = await client.conversations_history(
        channel=CHANNEL, include_all_metadata=True, limit=10
    )

    assert [m["text"] for m in history["messages"]] == ["deux", "un"]
    assert history["messages"][1]["metadata"] == METADATA
    assert "metadata" not in history["messages"][0]
    newer = await client.conversations_history(channel=CHANNEL, oldest=first["ts"])
    assert [m["ts"] for m in newer["messages"]] == [second["ts"]]
    assert slack.calls("conversations.history")[0].params["include_all_metadata"] == "1"


async def test_history_pages_with_the_clients_cursor(slack: FakeSlackApi) -> None:
    client = client_for(slack)
    for n in range(5):
        await client.chat_postMessage(channel=CHANNEL, text=str(n))

    pages = [
        [m["text"] for m in page["messages"]]
        async for page in await client.conversations_history(channel=CHANNEL, limit=2)
    ]

    assert pages == [["4", "3"], ["2", "1"], ["0"]]


async def test_form_encoded_bodies_are_read_too(slack: FakeSlackApi) -> None:
    data = {"channel": CHANNEL, "text": "par formulaire", "blocks": json.dumps(BLOCKS)}

    answer = await client_for(slack).api_call("chat.postMessage", data=data)

    assert answer["message"]["blocks"][0]["type"] == "section"
    assert slack.messages(CHANNEL)[0]["text"] == "par formulaire"


async def test_a_reply_to_an_unknown_thread_is_refused(slack: FakeSlackApi) -> None:
    error = await error_of(
        client_for(slack).chat_postMessage(channel=CHANNEL, text="x", thread_ts="1.000001")
    )

    assert error.response["error"] == "thread_not_found"
    assert error.response.status_code == 200
    assert slack.messages() == []


async def test_a_person_s_message_can_be_replied_to_but_not_updated(slack: FakeSlackApi) -> None:
    client = client_for(slack)
    asked = slack.seed_message(CHANNEL, "Ma commande n'est pas arrivée")

    await client.chat_postMessage(channel=CHANNEL, text="On regarde", thread_ts=asked)
    error = await error_of(client.chat_update(channel=CHANNEL, ts=asked, text="x"))

    assert [m["user"] for m in slack.replies(CHANNEL, asked)] == [BOT_USER_ID]
    assert error.response["error"] == "cant_update_message"


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ({"channel": "C_UNKNOWN", "text": "x"}, "channel_not_found"),
        ({"channel": CHANNEL, "text": "  "}, "no_text"),
        ({"channel": CHANNEL, "text": "x", "blocks": [{"text": "no type"}]}, "invalid_blocks"),
        ({"channel": CHANNEL, "text": "x", "blocks": "[not json"}, "invalid_blocks_format"),
        (
            {"channel": CHANNEL, "text": "x", "metadata": {"event_type": "e"}},
            "invalid_metadata_format",
        ),
    ],
)
async def test_post_message_is_checked_like_slack(
    slack: FakeSlackApi, arguments: dict, error: str
) -> None:
    refused = await error_of(client_for(slack).chat_postMessage(**arguments))

    assert refused.response["error"] == error
    assert slack.calls("chat.postMessage")[0].error == error


async def test_update_of_an_unknown_message_is_refused(slack: FakeSlackApi) -> None:
    error = await error_of(client_for(slack).chat_update(channel=CHANNEL, ts="1.000001", text="x"))

    assert error.response["error"] == "message_not_found"
    assert slack.updates == []


@pytest.mark.parametrize(("token", "error"), [("xoxb-wrong", "invalid_auth"), ("", "not_authed")])
async def test_a_wrong_or_missing_token_is_refused(
    slack: FakeSlackApi, token: str, error: str
) -> None:
    refused = await error_of(
        client_for(slack, token=token).chat_postMessage(channel=CHANNEL, text="x")
    )

    assert refused.response["error"] == error
    assert slack.messages() == []


async def test_rate_limit_is_retried_by_the_clients_handler(slack: FakeSlackApi) -> None:
    slack.fail_next(2, status=429, retry_after=0)
    client = client_for(slack, retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)])

    answer = await client.chat_postMessage(channel=CHANNEL, text="après la pause")

    assert answer["ok"]
    assert [c.status for c in slack.calls("chat.postMessage")] == [429, 429, 200]
    assert len(slack.messages(CHANNEL)) == 1


async def test_rate_limit_beyond_the_handlers_retries_surfaces_as_ratelimited(
    slack: FakeSlackApi,
) -> None:
    slack.fail_next(2, status=429, retry_after=0)
    client = client_for(slack, retry_handlers=[AsyncRateLimitErrorRetryHandler()])  # 1 retry

    error = await error_of(client.chat_postMessage(channel=CHANNEL, text="x"))

    assert error.response.status_code == 429
    assert error.response["error"] == "ratelimited"
    assert error.response.headers["Retry-After"] == "0"
    assert slack.messages() == []


async def test_a_server_error_surfaces_as_slack_api_error_without_json(
    slack: FakeSlackApi,
) -> None:
    slack.fail_next(1, status=500)

    error = await error_of(client_for(slack).chat_postMessage(channel=CHANNEL, text="x"))

    assert error.response.status_code == 500
    assert error.response["error"] is None  # an HTML page: no Slack error code
    assert slack.messages() == []


async def test_a_server_error_is_retried_only_with_the_server_error_handler(
    slack: FakeSlackApi,
) -> None:
    slack.fail_next(1, status=503)
    client = client_for(slack, retry_handlers=[AsyncServerErrorRetryHandler()])

    await client.chat_postMessage(channel=CHANNEL, text="x")

    assert [c.status for c in slack.calls()] == [503, 200]


async def test_fail_next_with_error_answers_ok_false_with_http_200(slack: FakeSlackApi) -> None:
    slack.fail_next_with_error(1, "fatal_error")
    client = client_for(slack)

    error = await error_of(client.chat_postMessage(channel=CHANNEL, text="x"))
    await client.chat_postMessage(channel=CHANNEL, text="x")

    assert (error.response.status_code, error.response["error"]) == (200, "fatal_error")
    assert len(slack.messages()) == 1


async def test_a_stalled_post_times_out_in_the_client_but_went_through(
    slack: FakeSlackApi,
) -> None:
    slack.stall_next(1, seconds=1.5)
    client = client_for(slack, timeout=1)

    with pytest.raises(asyncio.TimeoutError):
        await client.chat_postMessage(channel=CHANNEL, text="posté quand même", metadata=METADATA)

    history = await client.conversations_history(channel=CHANNEL)
    assert [m["metadata"] for m in history["messages"]] == [METADATA]
    assert len(slack.calls("chat.postMessage")) == 1  # the default handlers do not retry it


async def test_views_open_gives_an_id_and_a_trigger_is_single_use(slack: FakeSlackApi) -> None:
    client = client_for(slack)
    view = {
        "type": "modal",
        "callback_id": "handoff_note",
        "title": {"type": "plain_text", "text": "Note"},
        "blocks": [],
    }

    opened = await client.views_open(trigger_id="123.456.abc", view=view)
    error = await error_of(client.views_open(trigger_id="123.456.abc", view=view))

    assert opened["view"]["id"].startswith("V")
    assert slack.views[0]["callback_id"] == "handoff_note"
    assert error.response["error"] == "exchanged_trigger_id"


async def test_post_ephemeral_is_recorded(slack: FakeSlackApi) -> None:
    answer = await client_for(slack).chat_postEphemeral(
        channel=CHANNEL, user="U_CM1", text="Vous seul voyez ceci"
    )

    assert slack.ephemerals[0]["user"] == "U_CM1"
    assert slack.ephemerals[0]["message_ts"] == answer["message_ts"]
    assert slack.messages() == []


async def test_reset_forgets_everything(slack: FakeSlackApi) -> None:
    await client_for(slack).chat_postMessage(channel=CHANNEL, text="x")
    slack.fail_next(3)

    slack.reset()

    assert (slack.messages(), slack.calls()) == ([], [])
    assert (await client_for(slack).auth_test())["ok"]


# --- signed inbound payloads -----------------------------------------------------------------


def test_signed_headers_are_accepted_by_slack_sdk() -> None:
    body = b'{"type":"url_verification","challenge":"abc"}'

    headers = sign(SIGNING_SECRET, body)

    assert SignatureVerifier(SIGNING_SECRET).is_valid_request(body, headers)


def test_a_wrong_secret_or_an_old_timestamp_is_rejected() -> None:
    body, headers = signed_event(SIGNING_SECRET, url_verification("abc"))
    _, old = signed_event(SIGNING_SECRET, url_verification("abc"), timestamp=int(time.time()) - 360)

    assert not SignatureVerifier("another-secret").is_valid_request(body, headers)
    assert not SignatureVerifier(SIGNING_SECRET).is_valid_request(body, old)
    assert not SignatureVerifier(SIGNING_SECRET).is_valid_request(body + b" ", headers)


def test_a_retried_event_carries_slacks_retry_headers() -> None:
    event = event_callback(thread_message(CHANNEL, "1700000000.000100", "Bonjour é"), "Ev1")

    body, headers = signed_event(SIGNING_SECRET, event, retry_num=1)

    assert (headers["X-Slack-Retry-Num"], headers["X-Slack-Retry-Reason"]) == ("1", "http_timeout")
    assert SignatureVerifier(SIGNING_SECRET).is_valid_request(body, headers)
    delivered = json.loads(body)
    assert delivered["event_id"] == "Ev1" and delivered["type"] == "event_callback"
    assert delivered["event"]["thread_ts"] == "1700000000.000100"
    assert delivered["event"]["blocks"][0]["type"] == "rich_text"


def test_bot_and_edited_messages_are_marked_as_slack_marks_them() -> None:
    ours = bot_message(CHANNEL, "1700000000.000100", "Réponse")
    legacy = bot_message(CHANNEL, None, "Réponse", legacy=True)
    edited = message_changed(CHANNEL, "1700000000.000200", "après", previous_text="avant")

    assert ours["bot_id"] == BOT_ID and ours["user"] == BOT_USER_ID
    assert legacy["subtype"] == "bot_message" and "user" not in legacy
    assert edited["subtype"] == "message_changed"
    assert edited["message"]["text"] == "après" and "edited" in edited["message"]


def test_interactions_are_form_encoded_payloads() -> None:
    click = block_action("handoff_take", "h-42", message_ts="1700000000.000100")
    submit = view_submission("handoff_note", "h-42", {"note": {"note_input": "Rappeler demain"}})

    for payload in (click, submit):
        body, headers = signed_interaction(SIGNING_SECRET, payload)
        assert headers["Content-Type"] == "application/x-www-form-urlencoded"
        assert SignatureVerifier(SIGNING_SECRET).is_valid_request(body, headers)
        assert json.loads(parse_qs(body.decode())["payload"][0]) == payload

    assert click["actions"][0]["value"] == "h-42"
    assert click["container"]["message_ts"] == "1700000000.000100"
    values = submit["view"]["state"]["values"]
    assert values["note"]["note_input"] == {"type": "plain_text_input", "value": "Rappeler demain"}
