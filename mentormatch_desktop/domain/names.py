"""How the app addresses a person: one rule, used by every greeting and short name.

A full name does not say which part a person is called by: "Jun Jie Goh" is called
"Jun Jie", "Goh Siew Ling" (family name first) is called "Siew Ling", and "Robert Smith"
may go by "Bob". Guessing from the words of a full name is wrong for many people, so each
person may give a *preferred name* (``people.preferred_name``), and everything that greets
or names someone briefly — the Home greeting, inbox previews, introduction messages,
nudges — asks :func:`address_name` rather than splitting the full name itself.

Pure: no database, no Qt.
"""

from __future__ import annotations

#: Longest preferred name accepted (``people.preferred_name`` is ``varchar(80)``).
PREFERRED_NAME_LIMIT = 80


def address_name(full_name: str, preferred_name: str | None = None) -> str:
    """The name to greet ``full_name``'s person by.

    The preferred name when one is set (blank counts as unset). Otherwise the first word
    of the full name: the app's behaviour before preferred names existed, right for the
    many "Given Family" names and never empty while the full name is not. An empty full
    name gives ``""``, so a caller can fall back to a neutral greeting.
    """
    preferred = (preferred_name or "").strip()
    if preferred:
        return preferred
    words = full_name.split()
    return words[0] if words else ""
