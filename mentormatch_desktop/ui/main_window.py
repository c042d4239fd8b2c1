"""The main window: navigation sidebar, one stacked screen per view, status bar, banners.

The window owns what is shared between screens and outlives them: the connection banner
(shown when the database cannot be reached, with Retry and automatic retries, so the user
never needs to restart), the status bar (which database, connected or not), and the
remembered geometry and last screen (``QSettings``). For a participant it also owns the
live inbox (``ui/live.py``): LISTEN/NOTIFY or polling for the whole app, forwarded as
``AppContext.inbox_changed``, with the unread count drawn as a badge in the navigation.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QByteArray, QModelIndex, QRect, QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QColor, QKeySequence, QPainter, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from mentormatch_desktop import __version__
from mentormatch_desktop.services.inbox import unread_total
from mentormatch_desktop.storage.migrations import SchemaMismatch, prepare_schema
from mentormatch_desktop.ui import theme
from mentormatch_desktop.ui.context import AppContext
from mentormatch_desktop.ui.live import LiveInbox
from mentormatch_desktop.ui.views import ViewSpec, available_views
from mentormatch_desktop.ui.widgets import Banner
from mentormatch_desktop.ui.workers import Task, TaskError, run_in_background

log = logging.getLogger(__name__)

RETRY_INTERVAL_MS = 10_000
BADGE_ROLE = Qt.ItemDataRole.UserRole + 1


class NavigationDelegate(QStyledItemDelegate):
    """The navigation item as the style draws it, plus a count pill (unread messages)."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        super().paint(painter, option, index)
        count = index.data(BADGE_ROLE)
        if not count:
            return
        palette = theme.current()
        label = str(count) if count < 1000 else "999+"
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = painter.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 0.85)
        painter.setFont(font)
        width = max(22, painter.fontMetrics().horizontalAdvance(label) + 14)
        rect = option.rect
        pill = QRect(rect.right() - width - 14, rect.center().y() - 10, width, 20)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(palette.accent))
        painter.drawRoundedRect(pill, 10, 10)
        painter.setPen(QColor(palette.on_accent))
        painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, label)
        painter.restore()


class MainWindow(QMainWindow):
    screen_changed = Signal(str)
    reconnected = Signal()

    def __init__(
        self,
        context: AppContext,
        *,
        settings: QSettings | None = None,
        views: list[ViewSpec] | None = None,
    ) -> None:
        super().__init__()
        self.context = context
        self.qsettings = settings or QSettings()
        identity = context.identity
        self.specs = (
            views
            if views is not None
            else available_views(identity.role, is_person=identity.person_id is not None)
        )
        self.screens: dict[str, QWidget] = {}
        self._ready = False
        self._closed = False
        self._reconnecting: Task | None = None
        self.setWindowTitle("MentorMatch Desktop")
        self.setWindowIcon(theme.icon("app", theme.current().accent, 64))
        self.setMinimumSize(QSize(980, 640))
        self._build()
        self._build_status_bar()
        context.connection_changed.connect(self._on_connection_changed)
        Task.default_error_handler = self.report_error
        self._retry_timer = QTimer(self, interval=RETRY_INTERVAL_MS)
        self._retry_timer.timeout.connect(self.reconnect)
        self._restore_geometry()
        self.live: LiveInbox | None = None
        self._unread_task: Task | None = None
        self._unread_again = False
        person = context.identity.person_id
        if "inbox" in self.keys() and person is not None:
            self.live = LiveInbox(context, person, self)
            self.live.changed.connect(context.inbox_changed)
            # the listener lost its connection: check the database (the banner if it is down)
            self.live.live_changed.connect(lambda live: live or self.reconnect())
        context.inbox_changed.connect(self._on_inbox_changed)

    # -- layout ------------------------------------------------------------------------
    def _build(self) -> None:
        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)

        sidebar = QWidget(objectName="sidebarPanel")
        sidebar.setFixedWidth(212)
        side = QVBoxLayout(sidebar)
        side.setContentsMargins(0, 0, 0, 0)
        side.setSpacing(0)
        side.addWidget(QLabel("MentorMatch", objectName="brand"))
        subtitle = {
            "participant": "My mentoring",
            "analyst": "Analytics",
        }.get(self.context.identity.role, "Coordinator workbench")
        side.addWidget(QLabel(subtitle, objectName="brandSub"))
        self.navigation = QListWidget(objectName="navigation")
        self.navigation.setIconSize(QSize(20, 20))
        self.navigation.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.navigation.setItemDelegate(NavigationDelegate(self.navigation))
        for spec in self.specs:
            item = QListWidgetItem(theme.icon(spec.icon, theme.current().muted), spec.title)
            item.setData(Qt.ItemDataRole.UserRole, spec.key)
            item.setSizeHint(QSize(180, 40))
            self.navigation.addItem(item)
        self.navigation.currentRowChanged.connect(self._on_row_changed)
        for number, spec in enumerate(self.specs[:9], start=1):
            shortcut = QShortcut(QKeySequence(f"Ctrl+{number}"), self)
            shortcut.activated.connect(lambda key=spec.key: self.navigate(key))
            item = self.navigation.item(number - 1)
            item.setToolTip(f"{spec.title} (Ctrl+{number})")
        side.addWidget(self.navigation, 1)
        version = QLabel(f"Version {__version__}", objectName="hint")
        version.setContentsMargins(18, 0, 0, 12)
        side.addWidget(version)
        row.addWidget(sidebar)

        content = QWidget()
        column = QVBoxLayout(content)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        self.banner = Banner("error")
        self.banner.action_clicked.connect(self.reconnect)
        banner_box = QWidget()
        banner_row = QVBoxLayout(banner_box)
        banner_row.setContentsMargins(16, 12, 16, 0)
        banner_row.addWidget(self.banner)
        self.error_banner = Banner("warning")
        self.error_banner.action_clicked.connect(self._show_error_details)
        banner_row.addWidget(self.error_banner)
        column.addWidget(banner_box)
        self.stack = QStackedWidget()
        self.placeholder = QLabel("Opening the database…", objectName="emptyText")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack.addWidget(self.placeholder)
        column.addWidget(self.stack, 1)
        row.addWidget(content, 1)
        self.setCentralWidget(central)
        self._last_error: TaskError | None = None

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        bar.setSizeGripEnabled(False)
        self.db_icon = db_icon = QLabel()
        db_icon.setPixmap(theme.pixmap("database", theme.current().muted, 14))
        self.database_label = QLabel(self.context.database_label())
        self.connection_label = QLabel("Connecting…")
        self.identity_label = QLabel(f"Signed in: {self.context.identity.label}")
        bar.addPermanentWidget(self.identity_label)
        bar.addPermanentWidget(db_icon)
        bar.addPermanentWidget(self.database_label)
        bar.addPermanentWidget(self.connection_label)

    def retint(self) -> None:
        """Redraw the window's own icons after the palette changed (light ↔ dark)."""
        for row, spec in enumerate(self.specs):
            self.navigation.item(row).setIcon(theme.icon(spec.icon, theme.current().muted))
        self.db_icon.setPixmap(theme.pixmap("database", theme.current().muted, 14))
        self.setWindowIcon(theme.icon("app", theme.current().accent, 64))

    # -- navigation ----------------------------------------------------------------------
    def keys(self) -> list[str]:
        return [spec.key for spec in self.specs]

    def current_key(self) -> str | None:
        row = self.navigation.currentRow()
        return self.specs[row].key if 0 <= row < len(self.specs) else None

    def navigate(self, key: str) -> QWidget | None:
        """Show the screen ``key`` (creating it on first use); returns the screen widget."""
        if key not in self.keys():
            return None
        row = self.keys().index(key)
        if self.navigation.currentRow() != row:
            self.navigation.setCurrentRow(row)  # → _on_row_changed
        elif self._ready:
            self._show(key)
        return self.screens.get(key)

    def screen(self, key: str) -> QWidget:
        """The widget of screen ``key``, created on first use."""
        if key not in self.screens:
            spec = self.specs[self.keys().index(key)]
            widget = spec.load()(self.context)
            self.screens[key] = widget
            self.stack.addWidget(widget)
            requested = getattr(widget, "mentorships_requested", None)
            if requested is not None:  # the dashboard's click-through
                requested.connect(self.show_mentorships)
            opened = getattr(widget, "open_requested", None)
            if opened is not None:  # home → a conversation in the inbox
                opened.connect(self.open_screen)
        return self.screens[key]

    def show_mentorships(self, ids: list[int]) -> QWidget | None:
        """Switch to the Mentorships screen showing exactly ``ids`` (a clearable filter)."""
        if "mentorships" not in self.keys():
            return None
        view = self.screen("mentorships")
        show_ids = getattr(view, "show_ids", None)
        if callable(show_ids):
            show_ids(list(ids))
        return self.navigate("mentorships")

    def open_screen(self, key: str, thread_id: int = 0) -> QWidget | None:
        """Show screen ``key``; for the inbox with a ``thread_id``, open that thread."""
        screen = self.navigate(key)
        open_thread = getattr(screen, "open_thread", None)
        if thread_id and callable(open_thread):
            open_thread(thread_id)
        return screen

    # -- unread badge ----------------------------------------------------------------------
    def badge(self, key: str) -> int:
        """The count shown next to screen ``key`` in the navigation (0: none)."""
        if key not in self.keys():
            return 0
        return int(self.navigation.item(self.keys().index(key)).data(BADGE_ROLE) or 0)

    def set_badge(self, key: str, count: int) -> None:
        if key not in self.keys():
            return
        row = self.keys().index(key)
        item = self.navigation.item(row)
        item.setData(BADGE_ROLE, count)
        title = self.specs[row].title
        item.setToolTip(f"{title}: {count} unread" if count else title)
        inbox = self.specs[row].key == "inbox"
        if inbox:
            self.setWindowTitle(
                f"({count}) MentorMatch Desktop" if count else "MentorMatch Desktop"
            )

    def refresh_unread(self) -> Task | None:
        """Read the unread total again (in a worker) and show it on the Inbox item."""
        if "inbox" not in self.keys() or self.context.identity.person_id is None:
            return None
        if self._unread_task is not None and not self._unread_task.done:
            self._unread_again = True
            return self._unread_task
        context = self.context

        def count() -> int:
            with context.unit_of_work() as ctx:
                return unread_total(ctx)

        def again() -> None:
            if self._unread_again:
                self._unread_again = False
                self.refresh_unread()

        self._unread_task = run_in_background(
            count,
            on_success=lambda n: self.set_badge("inbox", n),
            on_error=lambda error: log.info("unread count: %s", error.message),
            on_finished=again,
            owner=self,
        )
        return self._unread_task

    def _on_inbox_changed(self, _payload: object) -> None:
        if self._ready:
            self.refresh_unread()

    def _on_row_changed(self, row: int) -> None:
        if 0 <= row < len(self.specs) and self._ready:
            self._show(self.specs[row].key)

    def _show(self, key: str) -> None:
        widget = self.screen(key)
        self.stack.setCurrentWidget(widget)
        self.qsettings.setValue("main/last_screen", key)
        activate = getattr(widget, "activate", None)
        if callable(activate) and self.context.connected is not False:
            activate()
        self.screen_changed.emit(key)

    def start_key(self) -> str | None:
        """The screen shown first: the remembered one, else Participants."""
        keys = self.keys()
        if not keys:
            return None
        last = str(self.qsettings.value("main/last_screen", "") or "")
        return last if last in keys else ("participants" if "participants" in keys else keys[0])

    def set_ready(self) -> None:
        """The database is usable: open the remembered screen (Participants the first time)."""
        self._ready = True
        if self.live is not None:
            self.live.start()
        self.refresh_unread()
        start = self.start_key()
        if start is None:
            return
        if self.current_key() == start:
            self._show(start)
        else:
            self.navigate(start)

    # -- connection state ----------------------------------------------------------------
    def _on_connection_changed(self, connected: bool, message: str) -> None:
        if connected:
            self.connection_label.setText("● Connected")
            self.connection_label.setObjectName("statusOk")
            self.banner.hide()
            self._retry_timer.stop()
        else:
            if not self._ready:
                self.placeholder.setText("Waiting for the database to answer…")
            self.connection_label.setText("● Not connected")
            self.connection_label.setObjectName("statusBad")
            title = (
                "The database schema does not match this version."
                if self.context.schema_mismatch
                else "Cannot reach the database."
            )
            self.banner.show_message(
                f"<b>{title}</b> {message}<br>"
                "Nothing you saved is lost. MentorMatch retries every "
                f"{RETRY_INTERVAL_MS // 1000} seconds, or retry now once the server is back.",
                "error",
                "Retry now",
            )
            self._retry_timer.start()
        self.connection_label.style().unpolish(self.connection_label)
        self.connection_label.style().polish(self.connection_label)

    def reconnect(self) -> Task | None:
        """Check the database again (in a worker); on success reload the visible screen."""
        if self._closed:
            return None
        if self._reconnecting is not None and not self._reconnecting.done:
            return self._reconnecting
        self.banner.button.setEnabled(False)
        self.banner.button.setText("Retrying…")
        context = self.context

        def check() -> None:
            context.ping()
            # Checks a shared database's schema, never migrates it (see prepare_schema).
            prepare_schema(context.engine)

        def ok(_: object) -> None:
            was_ready = self._ready
            self.context.mark_connected()
            if not was_ready:
                self.set_ready()
            else:
                # Everything shown may be out of date: the visible screen reloads now,
                # the others when they are next opened.
                self.context.notify("*")
                self.refresh_unread()
                current = self.stack.currentWidget()
                refresh = getattr(current, "refresh", None)
                if callable(refresh) and not hasattr(current, "watches"):
                    refresh()
            self.reconnected.emit()

        def failed(error: TaskError) -> None:
            schema = isinstance(error.exception, SchemaMismatch)
            self.context.mark_unreachable(error.message, schema=schema)

        def done() -> None:
            self.banner.button.setEnabled(True)
            self.banner.button.setText("Retry now")

        self._reconnecting = run_in_background(
            check, on_success=ok, on_error=failed, on_finished=done, owner=self
        )
        self._reconnecting.handles_errors = True
        return self._reconnecting

    def report_error(self, error: TaskError) -> None:
        """Failures nobody else handled: outages go to the banner, anything else is shown."""
        if error.is_connection_error:
            self.context.mark_unreachable(error.message)
            return
        self._last_error = error
        self.error_banner.show_message(
            f"Something went wrong: {error.message}", "warning", "Details"
        )

    def _show_error_details(self) -> None:
        if self._last_error is None:
            return
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Error details")
        box.setText(self._last_error.message)
        box.setDetailedText(self._last_error.details)
        box.finished.connect(lambda _=0: self.error_banner.hide())
        box.open()

    # -- geometry ----------------------------------------------------------------------
    def _restore_geometry(self) -> None:
        geometry = self.qsettings.value("main/geometry")
        if isinstance(geometry, QByteArray | bytes) and self.restoreGeometry(geometry):
            return
        self.resize(1360, 860)

    def closeEvent(self, event: QCloseEvent) -> None:
        # A closed window stops asking the database: its retry timer kept firing (the
        # object lives on until it is deleted), and each failed check, a connection error,
        # went to the app-wide error handler, which by then belonged to another window.
        self._closed = True
        self._retry_timer.stop()
        if self.live is not None:
            self.live.stop()
        self.qsettings.setValue("main/geometry", self.saveGeometry())
        key = self.current_key()
        if key:
            self.qsettings.setValue("main/last_screen", key)
        self.qsettings.sync()
        if Task.default_error_handler == self.report_error:
            Task.default_error_handler = None
        super().closeEvent(event)
