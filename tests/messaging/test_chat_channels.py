"""Slack and Teams channels against a local HTTP server speaking the documented subset:
success, 429 with Retry-After, 5xx, permanent 4xx / API errors, and timeouts."""

from __future__ import annotations

import json
from datetime import timedelta

import sqlalchemy as sa

from mentormatch_desktop.domain.enums import DeliveryStatus
from mentormatch_desktop.services import inbox, notifications
from mentormatch_desktop.storage.models import MessageDelivery
from mentormatch_desktop.worker import deliver_due


def _setup(as_person, org, channel: str, address: str, text: str = "See you Tuesday?") -> None:
    with as_person(org["ada"]) as ctx:
        notifications.set_delivery_settings(ctx, org["ada"], channel, address=address)
        notifications.set_preference(ctx, org["ada"], "email", "*", False)
    with as_person(org["alan"]) as ctx:
        inbox.send_message(ctx, inbox.thread_with(ctx, org["ada"]).id, text)


def _row(engine):
    with engine.connect() as c:
        return c.execute(sa.select(MessageDelivery)).one()


def test_slack_webhook_posts_block_kit_with_a_link_back(
    engine, org, as_person, host, clock, chat_server, monkeypatch
):
    monkeypatch.setenv("MENTORMATCH_THREAD_URL", "https://mentoring.example.org/t/{thread_id}")
    _setup(as_person, org, "slack", chat_server.base + "/services/T1/B2/x", "Hi <Ada> & co")
    assert deliver_due(engine, host, clock=clock).sent == 1
    [request] = chat_server.requests
    assert request["path"] == "/services/T1/B2/x"
    body = request["json"]
    assert body["text"].startswith("Alan Turing: Hi <Ada>")
    kinds = [b["type"] for b in body["blocks"]]
    assert kinds == ["context", "section", "actions"]
    assert body["blocks"][1]["text"]["text"] == "Hi &lt;Ada&gt; &amp; co"
    assert body["blocks"][2]["elements"][0]["url"].startswith("https://mentoring.example.org/t/")


def test_slack_chat_post_message_respects_429_retry_after(
    engine, org, as_person, host, clock, chat_server, monkeypatch
):
    monkeypatch.setenv("MENTORMATCH_SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("MENTORMATCH_SLACK_API_URL", chat_server.base + "/api")
    chat_server.script = [
        (429, {"Retry-After": "90"}, "", 0.0),
        (200, {"Content-Type": "application/json"}, json.dumps({"ok": True, "ts": "1.2"}), 0.0),
    ]
    _setup(as_person, org, "slack", "U0ADA")
    assert deliver_due(engine, host, clock=clock).retrying == 1
    row = _row(engine)
    assert row.next_attempt_at >= clock.now + timedelta(seconds=90)
    assert "rate limit" in row.last_error
    clock.now += timedelta(seconds=60)
    assert deliver_due(engine, host, clock=clock).sent == 0  # Retry-After not over yet
    clock.now += timedelta(seconds=31)
    assert deliver_due(engine, host, clock=clock).sent == 1
    request = chat_server.requests[-1]
    assert request["path"] == "/api/chat.postMessage"
    assert request["headers"]["Authorization"] == "Bearer xoxb-test"
    assert request["json"]["channel"] == "U0ADA"
    assert request["json"]["metadata"]["event_payload"]["key"] == row.idempotency_key


def test_slack_api_error_is_a_dead_letter_and_5xx_timeout_retry(
    engine, org, as_person, host, clock, chat_server, monkeypatch
):
    monkeypatch.setenv("MENTORMATCH_SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("MENTORMATCH_SLACK_API_URL", chat_server.base + "/api")
    monkeypatch.setenv("MENTORMATCH_SLACK_TIMEOUT", "0.5")
    chat_server.script = [
        (503, {}, "upstream down", 0.0),
        (200, {}, json.dumps({"ok": True}), 2.0),  # answers after the timeout
        (200, {}, json.dumps({"ok": False, "error": "channel_not_found"}), 0.0),
    ]
    _setup(as_person, org, "slack", "C0GONE")
    assert deliver_due(engine, host, clock=clock).retrying == 1
    assert "HTTP 503" in _row(engine).last_error
    clock.now += timedelta(hours=1)
    assert deliver_due(engine, host, clock=clock).retrying == 1
    assert _row(engine).last_error == "Slack timed out"
    clock.now += timedelta(hours=1)
    assert deliver_due(engine, host, clock=clock).failed == 1
    row = _row(engine)
    assert row.status == DeliveryStatus.DEAD and "channel_not_found" in row.last_error


def test_slack_without_token_waits_for_one(engine, org, as_person, host, clock):
    _setup(as_person, org, "slack", "U0ADA")
    assert deliver_due(engine, host, clock=clock).retrying == 1
    assert "no Slack bot token" in _row(engine).last_error


def test_teams_workflow_receives_an_adaptive_card(engine, org, as_person, host, clock, chat_server):
    chat_server.default = (202, {}, "", 0.0)
    _setup(as_person, org, "teams", chat_server.base + "/workflows/abc/triggers/manual")
    assert deliver_due(engine, host, clock=clock).sent == 1
    [request] = chat_server.requests
    body = request["json"]
    assert body["type"] == "message"
    [attachment] = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    texts = [b["text"] for b in card["body"]]
    assert "Alan Turing" in texts and "See you Tuesday?" in texts


def test_teams_429_then_500_then_delivered_and_404_is_dead(
    engine, org, as_person, host, clock, chat_server, monkeypatch
):
    monkeypatch.setenv("MENTORMATCH_TEAMS_TIMEOUT", "0.5")
    chat_server.script = [
        (429, {"Retry-After": "120"}, "Too many requests", 0.0),
        (500, {}, "flow failed", 0.0),
        (202, {}, "", 1.5),  # timeout
        (202, {}, "", 0.0),
    ]
    _setup(as_person, org, "teams", chat_server.base + "/workflows/abc")
    assert deliver_due(engine, host, clock=clock).retrying == 1
    assert _row(engine).next_attempt_at >= clock.now + timedelta(seconds=120)
    for expected in ("HTTP 500", "Teams timed out"):
        clock.now += timedelta(hours=1)
        assert deliver_due(engine, host, clock=clock).retrying == 1
        assert expected in _row(engine).last_error
    clock.now += timedelta(hours=1)
    assert deliver_due(engine, host, clock=clock).sent == 1


def test_teams_deleted_workflow_is_a_dead_letter(engine, org, as_person, host, clock, chat_server):
    chat_server.default = (404, {}, "flow not found", 0.0)
    _setup(as_person, org, "teams", chat_server.base + "/workflows/gone")
    assert deliver_due(engine, host, clock=clock).failed == 1
    row = _row(engine)
    assert row.status == DeliveryStatus.DEAD and "HTTP 404" in row.last_error
