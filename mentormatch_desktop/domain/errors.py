"""Error types shared by services: a problem a user can fix, naming the input at fault."""

from __future__ import annotations


class FieldError(ValueError):
    """Input that cannot be accepted; ``field`` names the form field or criterion at fault.

    The UI highlights ``field`` and shows ``message``; the CLI prints ``field: message``.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
