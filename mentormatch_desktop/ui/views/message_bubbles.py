"""Chat bubbles for the conversation list: one delegate lays out, paints and hit-tests.

Each row is one message: the date above it when a day starts, then a bubble — the other
people's on the left under their initials, one's own on the right in the accent colour —
with the sender's name (not repeated for a run of messages by the same person), the text
wrapped with its links clickable, and a footer with the time, "edited", and for one's own
recent messages "Edit" and "Delete". A deleted message keeps its place as "Message deleted".
The message a search hit opened on is tinted, its terms marked (:attr:`BubbleDelegate.highlight`).

Layout, painting and clicks share :meth:`BubbleDelegate.geometry`, so what is drawn is what
is clicked. Text layouts (``QTextDocument``) and row heights are cached per message and
width: a page added above re-measures only its own rows.
"""

from __future__ import annotations

import html
import math
import re
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime

from PySide6.QtCore import QEvent, QModelIndex, QPoint, QRect, QRectF, QSize, Qt, QUrl, Signal
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QFont,
    QFontMetrics,
    QMouseEvent,
    QPainter,
    QPalette,
    QPen,
    QTextDocument,
)
from PySide6.QtWidgets import QListView, QStyledItemDelegate, QStyleOptionViewItem

from mentormatch_desktop.services import inbox
from mentormatch_desktop.ui import theme
from mentormatch_desktop.ui.models.messages import (
    CONTINUED_ROLE,
    MESSAGE_ROLE,
    NEW_DAY_ROLE,
    MessageListModel,
)
from mentormatch_desktop.ui.views.message_highlight import (
    Highlight,
    blend,
    marked_html,
    term_spans,
    tint_colour,
)

PAD_X, PAD_Y = 12, 7
AVATAR = 30
SIDE = 16  # space at the list's edges
DAY_HEIGHT = 36
CACHE = 600
URL = re.compile(r"(https?://[^\s<>\"']+)")


def message_html(text: str) -> str:
    """A message body as safe HTML: escaped, links clickable, line breaks kept."""
    escaped = html.escape(text)
    linked = URL.sub(lambda m: f'<a href="{m.group(1)}">{m.group(1)}</a>', escaped)
    return linked.replace("\n", "<br>")


def aware(value: datetime) -> datetime:
    """Stored times are UTC; SQLite gives them back without a zone."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


TEXT_FLAGS = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap)


def body_text(m: inbox.MessageView) -> str:
    return "Message deleted" if m.deleted else m.body


def bubble_limit(lane_width: int) -> int:
    """The widest a bubble gets in a lane this wide: 72 % of it, in 24 px steps, 160–620."""
    return max(160, min(620, int(lane_width * 0.72) // 24 * 24))


def initials(name: str) -> str:
    parts = [p for p in name.replace("-", " ").split() if p[:1].isalpha()]
    return ("".join(p[0] for p in parts[:2]) or "?").upper()


def avatar_colour(key: int | None) -> QColor:
    """A stable, soft colour per person (the same in every row and every run)."""
    hue = ((key or 0) * 47) % 360
    return QColor.fromHsl(hue, 110, 150)


@dataclass
class Geometry:
    rect: QRect  # the whole row
    day: QRect | None
    bubble: QRect
    avatar: QRect | None
    name: QRect | None
    body: QRect
    footer: QRect
    edit: QRect | None
    delete: QRect | None
    doc: QTextDocument | None  # for a text with links; plain text is drawn by the painter
    mine: bool
    meta: str


class ConversationList(QListView):
    """A list that, like a chat, sits its messages at the bottom when they do not fill it."""

    def anchor_bottom(self) -> None:
        """Push a short conversation down to the composer (a top margin); none once the
        messages fill the view. Lays out only while they might not fill it (a long
        conversation has a scroll bar and no margin: nothing to measure)."""
        model = self.model()
        rows = model.rowCount() if model is not None else 0
        top = 0
        if rows and (self.viewportMargins().top() > 0 or self.verticalScrollBar().maximum() == 0):
            self.doItemsLayout()
            first = self.visualRect(model.index(0, 0))
            last = self.visualRect(model.index(rows - 1, 0))
            content = last.bottom() - first.top() + 1
            available = self.height() - 2 * self.frameWidth()
            top = max(0, available - content - 4)
        if self.viewportMargins().top() != top:
            self.setViewportMargins(0, top, 0, 0)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.anchor_bottom()


class BubbleDelegate(QStyledItemDelegate):
    """Lays out and paints messages as bubbles; emits what the reader clicked."""

    edit_requested = Signal(int)
    delete_requested = Signal(int)
    link_activated = Signal(QUrl)

    def __init__(self, view: QListView, me: int | None, may_change) -> None:
        super().__init__(view)
        self.view = view
        self.me = me
        #: (MessageView) -> str | None: why it may not be changed (None: it may)
        self.may_change = may_change
        self._docs: OrderedDict[tuple[object, ...], QTextDocument] = OrderedDict()
        self.group = False  # a thread with several other people: names on every run
        self._heights: dict[tuple[object, ...], int] = {}
        self._font_base: QFont | None = None
        #: the search hit the conversation was opened on (tinted, its terms marked)
        self.highlight = Highlight(self)
        self.highlight.changed.connect(self._repaint_message)
        self._font_set: tuple[QFont, QFont, QFont] = (QFont(), QFont(), QFont())
        self._metrics: tuple[QFontMetrics, QFontMetrics, int, int] = (
            QFontMetrics(QFont()),
            QFontMetrics(QFont()),
            0,
            0,
        )

    # -- measuring -----------------------------------------------------------------------------
    def _fonts(self, base: QFont) -> tuple[QFont, QFont]:
        """The name's and the footer's fonts for ``base``, made once per base font."""
        if self._font_base is None or self._font_base != base:
            bold = QFont(base)
            bold.setWeight(QFont.Weight.DemiBold)
            small = QFont(base)
            small.setPointSizeF(max(7.0, base.pointSizeF() * 0.85))
            italic = QFont(base)
            italic.setItalic(True)
            self._font_base = QFont(base)
            self._font_set = (bold, small, italic)
            self._metrics = (
                QFontMetrics(base),
                QFontMetrics(italic),
                QFontMetrics(bold).height(),
                QFontMetrics(small).height(),
            )
        return self._font_set[0], self._font_set[1]

    def _repaint_message(self, message_id: int) -> None:
        model = self.view.model()
        if isinstance(model, MessageListModel):
            row = model.row_of(message_id)
            if row is not None:
                self.view.update(model.index(row))

    def _marked_term(self, m: inbox.MessageView) -> str:
        """The search term to mark in ``m`` ("" when none, or it is not in the text)."""
        term = self.highlight.term_for(m.id)
        return term if term and not m.deleted and term_spans(m.body, term) else ""

    def _document(
        self, m: inbox.MessageView, font: QFont, width: int, term: str = ""
    ) -> QTextDocument:
        key = (m.id, m.body, m.deleted, width, term)
        doc = self._docs.get(key)
        if doc is not None:
            self._docs.move_to_end(key)
            return doc
        p = theme.current()
        doc = QTextDocument()
        doc.setDocumentMargin(0)
        body_font = QFont(font)
        if m.deleted:
            body_font.setItalic(True)
        doc.setDefaultFont(body_font)
        doc.setDefaultStyleSheet(f"a {{ color: {p.accent_text}; }}")
        if m.deleted:
            doc.setHtml("Message deleted")
        else:
            doc.setHtml(marked_html(m.body, term) if term else message_html(m.body))
        doc.setTextWidth(width)
        ideal = math.ceil(doc.idealWidth()) + 1
        doc.setTextWidth(min(width, ideal))
        self._docs[key] = doc
        while len(self._docs) > CACHE:
            self._docs.popitem(last=False)
        return doc

    @staticmethod
    def _row(index: QModelIndex) -> tuple[inbox.MessageView, bool, bool]:
        """The message and its (new day, continued) flags, straight from the model's lists
        when it is a MessageListModel (every layout asks this of every loaded row)."""
        model = index.model()
        if isinstance(model, MessageListModel):
            row = index.row()
            new_day, continued = model.row_flags(row)
            return model.rows[row], new_day, continued
        return (
            index.data(MESSAGE_ROLE),
            bool(index.data(NEW_DAY_ROLE)),
            bool(index.data(CONTINUED_ROLE)),
        )

    def _text(
        self, m: inbox.MessageView, font: QFont, width: int
    ) -> tuple[QTextDocument | None, int, int]:
        """The message's text layout within ``width``: (document, width, height).

        A text without links is measured and drawn by the font's own word wrapping — some
        tens of microseconds, so thousands of loaded messages re-measure quickly when the
        window is resized; one with links gets a ``QTextDocument`` (clickable anchors).
        """
        term = self._marked_term(m)
        if term or (not m.deleted and URL.search(m.body)):
            doc = self._document(m, font, width, term)
            return doc, math.ceil(doc.size().width()), math.ceil(doc.size().height())
        self._fonts(font)
        metrics = self._metrics[1] if m.deleted else self._metrics[0]
        used = metrics.boundingRect(QRect(0, 0, width, 1_000_000), TEXT_FLAGS, body_text(m))
        return None, used.width() + 1, used.height()

    def _body_font(self, font: QFont, m: inbox.MessageView) -> QFont:
        if not m.deleted:
            return font
        self._fonts(font)
        return self._font_set[2]

    def height(self, width: int, index: QModelIndex, font: QFont) -> int:
        """A row's height, computing only what it depends on (what ``geometry`` would give):
        the day line, the name line, the text's height at the bubble's width limit."""
        m, new_day, continued = self._row(index)
        continued = continued and not new_day
        mine = self.me is not None and m.sender_id == self.me
        self._fonts(font)
        _body, _italic, bold_h, small_h = self._metrics
        top = DAY_HEIGHT if new_day else (2 if continued else 8)
        name_h = bold_h + 2 if not mine and not continued else 0
        limit = bubble_limit(width - 2 * SIDE)
        body_h = self._text(m, font, limit - 2 * PAD_X)[2]
        bubble_h = PAD_Y + name_h + body_h + 2 + small_h + PAD_Y - 2
        return top + bubble_h + 2

    def geometry(self, rect: QRect, index: QModelIndex, font: QFont) -> Geometry:
        m, new_day, continued = self._row(index)
        continued = continued and not new_day
        mine = self.me is not None and m.sender_id == self.me
        bold, small = self._fonts(font)
        fm_bold, fm_small = QFontMetrics(bold), QFontMetrics(small)
        top = rect.top() + (DAY_HEIGHT if new_day else (2 if continued else 8))
        day = QRect(rect.left(), rect.top(), rect.width(), DAY_HEIGHT) if new_day else None
        lane = rect.adjusted(SIDE, 0, -SIDE, 0)
        left = lane.left() + (0 if mine else AVATAR + 8)
        max_width = bubble_limit(lane.width())
        doc, text_w, body_h = self._text(m, font, max_width - 2 * PAD_X)
        show_name = not mine and not continued
        name_w = fm_bold.horizontalAdvance(m.sender_name) if show_name else 0
        edited = " · edited" if m.edited_at and not m.deleted else ""
        meta = f"{aware(m.created_at).astimezone():%H:%M}{edited}"
        changeable = mine and not m.deleted and self.may_change(m) is None
        actions_w = (
            fm_small.horizontalAdvance("Edit") + fm_small.horizontalAdvance("Delete") + 14
            if changeable
            else 0
        )
        footer_w = fm_small.horizontalAdvance(meta) + (actions_w + 12 if changeable else 0)
        inner_w = max(text_w, name_w, footer_w)
        bubble_w = min(max_width, inner_w + 2 * PAD_X)
        name_h = fm_bold.height() + 2 if show_name else 0
        footer_h = fm_small.height()
        bubble_h = PAD_Y + name_h + body_h + 2 + footer_h + PAD_Y - 2
        x = lane.right() - bubble_w + 1 if mine else left
        bubble = QRect(x, top, bubble_w, bubble_h)
        inner = bubble.adjusted(PAD_X, PAD_Y, -PAD_X, -PAD_Y + 2)
        name = (
            QRect(inner.left(), inner.top(), inner.width(), fm_bold.height()) if show_name else None
        )
        body = QRect(inner.left(), inner.top() + name_h, inner.width(), body_h)
        footer = QRect(inner.left(), body.bottom() + 3, inner.width(), footer_h)
        edit = delete = None
        if changeable:
            ew = fm_small.horizontalAdvance("Edit")
            dw = fm_small.horizontalAdvance("Delete")
            edit = QRect(footer.left(), footer.top(), ew, footer_h)
            delete = QRect(edit.right() + 12, footer.top(), dw, footer_h)
        avatar = None
        if not mine and not continued:
            avatar = QRect(lane.left(), bubble.top(), AVATAR, AVATAR)
        row = QRect(rect.left(), rect.top(), rect.width(), bubble.bottom() - rect.top() + 3)
        return Geometry(row, day, bubble, avatar, name, body, footer, edit, delete, doc, mine, meta)

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        # A list lays out every loaded row again when a page comes in above: heights are
        # remembered per message and what changes them, so only the new rows are measured.
        width = self.view.viewport().width()
        m, new_day, continued = self._row(index)
        # Keyed by the bubble's width limit, not the view's width: above ~900 px the limit
        # is constant and narrower views move it in steps, so resizing the window
        # re-measures no message, or all of them once per step.
        limit = bubble_limit(width - 2 * SIDE)
        term = self._marked_term(m)
        key = (m.id, m.body, m.deleted, m.edited_at, limit, new_day, continued, term)
        height = self._heights.get(key)
        if height is None:
            height = self.height(width, index, option.font)
            self._heights[key] = height
            if len(self._heights) > 50_000:
                self._heights.clear()
        return QSize(width, height)

    # -- painting ------------------------------------------------------------------------------
    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        p = theme.current()
        m = self._row(index)[0]
        g = self.geometry(option.rect, index, option.font)
        bold, small = self._fonts(option.font)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if g.day is not None:
            local = aware(m.created_at).astimezone()
            label = f"{local:%A} {local.day} {local:%B %Y}"
            painter.setFont(small)
            fm = painter.fontMetrics()
            w = fm.horizontalAdvance(label) + 20
            pill = QRect(g.day.center().x() - w // 2, g.day.top() + 8, w, fm.height() + 6)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(p.surface_alt))
            painter.drawRoundedRect(pill, pill.height() / 2, pill.height() / 2)
            painter.setPen(QColor(p.muted))
            painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, label)
        if g.avatar is not None:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(avatar_colour(m.sender_id))
            painter.drawEllipse(g.avatar)
            painter.setPen(QColor("#ffffff"))
            painter.setFont(small)
            painter.drawText(g.avatar, Qt.AlignmentFlag.AlignCenter, initials(m.sender_name))
        fill = QColor(p.accent_soft if g.mine else p.surface_alt)
        tint = self.highlight.tint(m.id)
        shape = QRectF(g.bubble)
        painter.setPen(Qt.PenStyle.NoPen)
        if tint > 0:
            # the search hit: a warm fill and a ring, so the eye lands on it
            fill = blend(fill, tint_colour(), tint)
            ring = QColor(p.warning)
            ring.setAlphaF(0.85 * tint)
            painter.setPen(QPen(ring, 2))
            shape = shape.adjusted(1, 1, -1, -1)  # the ring inside the bubble's own rect
        painter.setBrush(fill)
        painter.drawRoundedRect(shape, 12, 12)
        painter.setPen(Qt.PenStyle.NoPen)
        if g.name is not None:
            painter.setFont(bold)
            dark = QColor(p.surface).lightness() < 128
            colour = avatar_colour(m.sender_id)
            painter.setPen(colour.lighter(125) if dark else colour.darker(170))
            painter.drawText(
                g.name, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, m.sender_name
            )
        if g.doc is not None:
            painter.translate(g.body.topLeft())
            context = QAbstractTextDocumentLayout.PaintContext()
            palette = QPalette(option.palette)
            palette.setColor(QPalette.ColorRole.Text, QColor(p.text))
            context.palette = palette
            g.doc.documentLayout().draw(painter, context)
            painter.translate(-g.body.topLeft())
        else:
            painter.setFont(self._body_font(option.font, m))
            painter.setPen(QColor(p.muted if m.deleted else p.text))
            painter.drawText(g.body, TEXT_FLAGS, body_text(m))
        painter.setFont(small)
        painter.setPen(QColor(p.muted))
        painter.drawText(
            g.footer, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, g.meta
        )
        if g.edit is not None and g.delete is not None:
            painter.setPen(QColor(p.accent_text))
            painter.drawText(g.edit, Qt.AlignmentFlag.AlignVCenter, "Edit")
            painter.drawText(g.delete, Qt.AlignmentFlag.AlignVCenter, "Delete")
        painter.restore()

    # -- clicks ----------------------------------------------------------------------------------
    def target(self, pos: QPoint, rect: QRect, index: QModelIndex, font: QFont) -> object:
        """What is at ``pos``: "edit", "delete", a link's QUrl, "bubble", or None."""
        g = self.geometry(rect, index, font)
        if g.edit is not None and g.edit.contains(pos):
            return "edit"
        if g.delete is not None and g.delete.contains(pos):
            return "delete"
        if g.doc is not None and g.body.contains(pos):
            href = g.doc.documentLayout().anchorAt(pos - g.body.topLeft())
            if href:
                return QUrl(href)
        return "bubble" if g.bubble.contains(pos) else None

    def editorEvent(self, event, model, option, index) -> bool:
        kind = event.type()
        if kind not in (QEvent.Type.MouseButtonRelease, QEvent.Type.MouseMove):
            return False
        assert isinstance(event, QMouseEvent)
        hit = self.target(event.position().toPoint(), option.rect, index, option.font)
        clickable = hit in ("edit", "delete") or isinstance(hit, QUrl)
        if kind == QEvent.Type.MouseMove:
            shape = Qt.CursorShape.PointingHandCursor if clickable else Qt.CursorShape.ArrowCursor
            self.view.viewport().setCursor(shape)
            return False
        if event.button() != Qt.MouseButton.LeftButton or not clickable:
            return False
        m = self._row(index)[0]
        if hit == "edit":
            self.edit_requested.emit(m.id)
        elif hit == "delete":
            self.delete_requested.emit(m.id)
        else:
            assert isinstance(hit, QUrl)
            self.link_activated.emit(hit)
        return True
