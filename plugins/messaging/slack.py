"""Built-in channel ``slack``: a Block Kit message through a webhook or the Web API.

A person's Slack address (``contact_channels.address``) is either an incoming-webhook URL
(``https://hooks.slack.com/services/…``: posts where that webhook points) or a member or
channel id (``U…``/``C…``), which is sent with ``chat.postMessage`` and a bot token.

Settings (environment, or ``[plugins.slack]`` in the config file):

- ``MENTORMATCH_SLACK_BOT_TOKEN``, else the OS keyring (``mentormatch`` / ``slack-bot-token``)
- ``MENTORMATCH_SLACK_API_URL`` (default ``https://slack.com/api``; tests point it at a
  local server)
- ``MENTORMATCH_SLACK_TIMEOUT`` seconds (default 10)

Rate limits: Slack answers 429 with ``Retry-After``; the delivery is retried no sooner.
``chat.postMessage`` answers HTTP 200 with ``{"ok": false, "error": …}`` for most
failures: ``ratelimited`` and internal errors are retried, anything else (``channel_not_found``,
``invalid_auth`` …) makes the delivery a dead letter with the error kept. Slack has no
idempotency key; the delivery key travels in the message metadata, so a duplicate after a
timeout can at least be recognised.
"""

from __future__ import annotations

import json

from mentormatch_desktop.plugin.api import Delivery, DeliveryResult, PluginHost, hookimpl
from mentormatch_plugins.messaging.http import classify, network_failure, post_json, retry_after
from mentormatch_plugins.messaging.settings import ConfigSource, no_config, secret, setting

_RETRYABLE_ERRORS = {
    "ratelimited",
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
}
_TEXT_LIMIT = 2900  # a section block's text holds 3,000 characters


def blocks(delivery: Delivery) -> list[dict[str, object]]:
    """The Block Kit blocks: who wrote where, the text, a button back to the thread."""
    out: list[dict[str, object]] = []
    for item in delivery.items:
        where = f" in *{_escape(item.thread_subject)}*" if item.thread_subject else ""
        out.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"*{_escape(item.sender_name)}*{where}"}],
            }
        )
        body = item.body if len(item.body) <= _TEXT_LIMIT else item.body[:_TEXT_LIMIT] + "…"
        out.append({"type": "section", "text": {"type": "mrkdwn", "text": _escape(body)}})
    if delivery.thread_url and delivery.thread_url.startswith(("https://", "http://")):
        out.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Open the conversation"},
                        "url": delivery.thread_url,
                        "action_id": "open_thread",
                    }
                ],
            }
        )
    return out


def _escape(text: str) -> str:
    """Slack's three control characters (its mrkdwn is otherwise left to the author)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def payload(delivery: Delivery) -> dict[str, object]:
    first = delivery.items[0]
    fallback = (
        delivery.subject if delivery.is_digest else f"{first.sender_name}: {first.body[:150]}"
    )
    return {"text": fallback, "blocks": blocks(delivery), "unfurl_links": False}


class SlackChannel:
    name = "slack"
    label = "Slack"
    digest = False

    def __init__(self, config: ConfigSource = no_config) -> None:
        self._config = config

    def deliver(self, delivery: Delivery) -> DeliveryResult:
        address = delivery.recipient_address.strip()
        timeout = float(setting(self._config, "timeout", "MENTORMATCH_SLACK_TIMEOUT", "10"))
        body = payload(delivery)
        try:
            if address.startswith(("https://", "http://")):
                return classify(post_json(address, body, timeout=timeout), "Slack webhook")
            token = secret("MENTORMATCH_SLACK_BOT_TOKEN", "slack-bot-token")
            if not token:
                return DeliveryResult(
                    ok=False,
                    retry=True,
                    detail="no Slack bot token (set MENTORMATCH_SLACK_BOT_TOKEN or the keyring)",
                )
            api = setting(
                self._config, "api_url", "MENTORMATCH_SLACK_API_URL", "https://slack.com/api"
            )
            body = {
                **body,
                "channel": address,
                "metadata": {
                    "event_type": "mentormatch_delivery",
                    "event_payload": {"key": delivery.idempotency_key},
                },
            }
            answer = post_json(
                api.rstrip("/") + "/chat.postMessage",
                body,
                headers={"Authorization": f"Bearer {token}"},
                timeout=timeout,
            )
        except OSError as exc:
            return network_failure(exc, "Slack")
        result = classify(answer, "Slack")
        if not result.ok:
            return result
        try:
            reply = json.loads(answer.body or "{}")
        except ValueError:
            return DeliveryResult(ok=False, retry=True, detail="Slack sent an unreadable answer")
        if reply.get("ok"):
            return DeliveryResult(ok=True, detail=str(reply.get("ts", "")))
        error = str(reply.get("error", "unknown_error"))
        return DeliveryResult(
            ok=False,
            retry=error in _RETRYABLE_ERRORS,
            retry_after=retry_after(answer),
            detail=f"Slack chat.postMessage: {error}",
        )


@hookimpl
def register_messaging_channels(host: PluginHost) -> list[SlackChannel]:
    return [SlackChannel(lambda: host.plugin_config("slack"))]


@hookimpl
def plugin_status() -> str | None:
    if secret("MENTORMATCH_SLACK_BOT_TOKEN", "slack-bot-token"):
        return "bot token set: webhooks and member ids both work"
    return "no bot token: only people whose Slack address is a webhook URL are reached"
