"""Built-in channel ``teams``: an Adaptive Card through a Power Automate Workflows webhook.

Office 365 connectors (the old incoming webhooks) are retired; Teams now receives posts
through a Workflows flow ("Post to a chat or channel when a webhook request is received").
A person's Teams address is that flow's URL; ``MENTORMATCH_TEAMS_WEBHOOK_URL`` (or
``[plugins.teams] webhook_url``) is used for people whose address is ``default``.

The flow answers 202 Accepted (200 from some tenants); 429 carries ``Retry-After``, which
is respected; 5xx and timeouts are retried; other 4xx (a deleted flow) are dead letters.
"""

from __future__ import annotations

from mentormatch_desktop.plugin.api import Delivery, DeliveryResult, PluginHost, hookimpl
from mentormatch_plugins.messaging.http import classify, network_failure, post_json
from mentormatch_plugins.messaging.settings import ConfigSource, no_config, setting

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"


def adaptive_card(delivery: Delivery) -> dict[str, object]:
    """The card: a heading per message, the text, and a button back to the thread."""
    body: list[dict[str, object]] = [
        {
            "type": "TextBlock",
            "text": delivery.subject,
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
        }
    ]
    for item in delivery.items:
        body.append(
            {
                "type": "TextBlock",
                "text": item.sender_name,
                "weight": "Bolder",
                "spacing": "Medium",
                "wrap": True,
            }
        )
        body.append({"type": "TextBlock", "text": item.body[:4000], "wrap": True})
    card: dict[str, object] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    if delivery.thread_url and delivery.thread_url.startswith(("https://", "http://")):
        card["actions"] = [
            {"type": "Action.OpenUrl", "title": "Open the conversation", "url": delivery.thread_url}
        ]
    return card


def payload(delivery: Delivery) -> dict[str, object]:
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": CARD_CONTENT_TYPE,
                "contentUrl": None,
                "content": adaptive_card(delivery),
            }
        ],
    }


class TeamsChannel:
    name = "teams"
    label = "Microsoft Teams"
    digest = False

    def __init__(self, config: ConfigSource = no_config) -> None:
        self._config = config

    def deliver(self, delivery: Delivery) -> DeliveryResult:
        url = delivery.recipient_address.strip()
        if url in ("", "default"):
            url = setting(self._config, "webhook_url", "MENTORMATCH_TEAMS_WEBHOOK_URL")
        if not url.startswith(("https://", "http://")):
            return DeliveryResult(
                ok=False,
                retry=False,
                detail=f"the Teams address {delivery.recipient_address!r} is not a webhook URL",
            )
        timeout = float(setting(self._config, "timeout", "MENTORMATCH_TEAMS_TIMEOUT", "10"))
        try:
            answer = post_json(url, payload(delivery), timeout=timeout)
        except OSError as exc:
            return network_failure(exc, "Teams")
        return classify(answer, "Teams workflow")


@hookimpl
def register_messaging_channels(host: PluginHost) -> list[TeamsChannel]:
    return [TeamsChannel(lambda: host.plugin_config("teams"))]
