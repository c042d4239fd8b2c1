"""Built-in messaging channels: e-mail (SMTP), Slack and Microsoft Teams.

Each module is one plugin, registered through the ``mentormatch`` entry-point group in
``pyproject.toml``; the outbox worker hands them deliveries after the message committed.
"""
