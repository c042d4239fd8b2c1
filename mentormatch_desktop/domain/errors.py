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


class StaleDecisionError(RuntimeError):
    """A decision was made on a version of a record that someone else has since changed.

    Raised instead of overwriting the newer state; the user reloads and decides again.
    ``entity`` names what changed (``"proposal"``, ``"match run"``), ``seen`` is the
    version the user acted on and ``current`` the version stored now (None if unknown).
    """

    def __init__(
        self, entity: str, entity_id: object, seen: int | None, current: int | None
    ) -> None:
        now = f" (now version {current})" if current is not None else ""
        super().__init__(
            f"{entity} {entity_id} was changed by someone else after you loaded it "
            f"(you saw version {seen}){now}; reload it and decide again — nothing was changed"
        )
        self.entity = entity
        self.entity_id = entity_id
        self.seen = seen
        self.current = current
