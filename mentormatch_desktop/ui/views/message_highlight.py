"""The message a search hit opened on: a tinted bubble the eye finds, its search terms marked.

When the Inbox opens a thread at a search result, :class:`Highlight` names that message and
the words searched for. The bubble delegate tints the bubble (and rings it) with
:attr:`Highlight.strength` and draws the text through :func:`marked_html`, the terms on a
marker-pen background.

The tint stays until the reader clicks or types in the conversation — they found the
message, or moved on — and then fades in a fraction of a second; it never vanishes while
they are still looking for it, however slow the machine. The marked terms stay as long as
the conversation stays open from that search: taking them away would re-wrap the bubble.
"""

from __future__ import annotations

import html
import re

from PySide6.QtCore import QEasingCurve, QObject, QVariantAnimation, Signal
from PySide6.QtGui import QColor

from mentormatch_desktop.ui import theme

#: the same pattern as the bubbles' (http/https links are clickable)
URL = re.compile(r"(https?://[^\s<>\"']+)")
FADE_MS = 700


def blend(base: QColor, over: QColor, amount: float) -> QColor:
    """``over`` laid on ``base`` at ``amount`` (0: base, 1: over), opaque."""
    a = max(0.0, min(1.0, amount))
    return QColor.fromRgbF(
        base.redF() + (over.redF() - base.redF()) * a,
        base.greenF() + (over.greenF() - base.greenF()) * a,
        base.blueF() + (over.blueF() - base.blueF()) * a,
    )


#: a highlighter pen's yellow, laid on the theme's surface (so it suits dark themes too)
MARKER = QColor("#ffd84d")


def _on_surface(amount_light: float, amount_dark: float) -> QColor:
    surface = QColor(theme.current().surface)
    dark = surface.lightness() < 128
    return blend(surface, MARKER, amount_dark if dark else amount_light)


def mark_colour() -> QColor:
    """The marker-pen background of a searched term, readable in both themes."""
    return _on_surface(0.78, 0.34)


def tint_colour() -> QColor:
    """What a highlighted bubble's fill moves towards: a paler yellow than the marks."""
    return _on_surface(0.26, 0.14)


def term_spans(text: str, term: str) -> list[tuple[int, int]]:
    """Where ``term`` occurs in ``text``, case-insensitively (as the search matched it)."""
    if not term:
        return []
    return [(m.start(), m.end()) for m in re.finditer(re.escape(term), text, re.IGNORECASE)]


def _marked(text: str, term: str, colour: str) -> str:
    out: list[str] = []
    at = 0
    for start, end in term_spans(text, term):
        out.append(html.escape(text[at:start]))
        out.append(
            f'<span style="background-color:{colour};">{html.escape(text[start:end])}</span>'
        )
        at = end
    out.append(html.escape(text[at:]))
    return "".join(out)


def marked_html(text: str, term: str) -> str:
    """A message body as safe HTML with ``term`` marked: escaped, links clickable (a link's
    own text is left unmarked, so it keeps its link colour), line breaks kept."""
    colour = mark_colour().name()
    out: list[str] = []
    at = 0
    for link in URL.finditer(text):
        out.append(_marked(text[at : link.start()], term, colour))
        url = html.escape(link.group(1))
        out.append(f'<a href="{url}">{url}</a>')
        at = link.end()
    out.append(_marked(text[at:], term, colour))
    return "".join(out).replace("\n", "<br>")


class Highlight(QObject):
    """Which message is highlighted, with what terms, and how strongly (1 → 0 as it fades)."""

    changed = Signal(int)  # the message id to repaint

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.message_id: int | None = None
        self.term = ""
        self.strength = 0.0
        self._fade = QVariantAnimation(self)
        self._fade.setDuration(FADE_MS)
        self._fade.setEasingCurve(QEasingCurve.Type.InQuad)
        self._fade.valueChanged.connect(self._faded_to)

    def show(self, message_id: int, term: str) -> None:
        """Highlight ``message_id`` at full strength, ``term`` marked in it."""
        self._fade.stop()
        self.message_id, self.term, self.strength = message_id, term.strip(), 1.0
        self.changed.emit(message_id)

    def fade(self) -> None:
        """The reader moved on: let the tint go (the marked terms stay)."""
        if (
            self.message_id is None
            or self.strength <= 0
            or self._fade.state() == self._fade.State.Running
        ):
            return
        self._fade.setStartValue(self.strength)
        self._fade.setEndValue(0.0)
        self._fade.start()

    def clear(self) -> None:
        """Another conversation, or the same one from its newest page: nothing highlighted."""
        self._fade.stop()
        previous, self.message_id, self.term, self.strength = self.message_id, None, "", 0.0
        if previous is not None:
            self.changed.emit(previous)

    def tint(self, message_id: int) -> float:
        """How strongly ``message_id``'s bubble is tinted (0: not at all)."""
        return self.strength if message_id == self.message_id else 0.0

    def term_for(self, message_id: int) -> str:
        """The term to mark in ``message_id`` ("" for every other message)."""
        return self.term if message_id == self.message_id else ""

    def _faded_to(self, value: object) -> None:
        self.strength = float(value)  # type: ignore[arg-type]
        if self.message_id is not None:
            self.changed.emit(self.message_id)
