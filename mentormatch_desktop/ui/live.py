"""The open inbox wakes by itself: LISTEN/NOTIFY on PostgreSQL, a cheap poll on SQLite.

:class:`LiveInbox` emits ``changed`` whenever something in the signed-in person's inbox may
have changed, with a dict saying what: ``{"thread_ids": [...]}`` from notifications (ids
only: screens re-read through their own permissions), ``{"catch_up": True}`` when the
screens should re-read everything (a poll saw a change, or the listener reconnected after
an outage, so nothing sent meanwhile is missed).

PostgreSQL: a :class:`~mentormatch_desktop.storage.listen.NotificationListener` (its own
connection, made in a worker because connecting blocks) LISTENs on ``mm_person_<id>``; a
``QSocketNotifier`` in the GUI thread watches its socket, so there is no polling thread and
no timer: a notification is read the moment its bytes arrive. SQLite has no NOTIFY: a
``QTimer`` runs :func:`~mentormatch_desktop.services.inbox.inbox_marker` (one indexed
aggregate) in a worker every couple of seconds and compares.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from PySide6.QtCore import QObject, QSocketNotifier, QTimer, Signal

from mentormatch_desktop.services.inbox import inbox_marker, person_channel
from mentormatch_desktop.storage.listen import ListenerLost, NotificationListener
from mentormatch_desktop.ui.context import AppContext
from mentormatch_desktop.ui.workers import Task, TaskError, run_in_background

log = logging.getLogger(__name__)

POLL_MS = 2_000
RECONNECT_MS = 5_000


class LiveInbox(QObject):
    changed = Signal(object)  # {"thread_ids": [...]} or {"catch_up": True}
    live_changed = Signal(bool)  # listening (or polling) works / is interrupted

    def __init__(
        self,
        context: AppContext,
        person_id: int,
        parent: QObject | None = None,
        *,
        poll_ms: int = POLL_MS,
        reconnect_ms: int = RECONNECT_MS,
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.person_id = person_id
        self.mode = "notify" if context.engine.dialect.name == "postgresql" else "poll"
        self.live: bool | None = None
        #: time.monotonic() of the last ``changed`` (what the live test measures against)
        self.last_change_at: float | None = None
        self._listener: NotificationListener | None = None
        self._notifier: QSocketNotifier | None = None
        self._task: Task | None = None
        self._marker: tuple[object, ...] | None = None
        self._running = False
        self._lost_once = False
        self._poll_timer = QTimer(self, interval=poll_ms)
        self._poll_timer.timeout.connect(self._poll)
        self._reconnect_timer = QTimer(self, interval=reconnect_ms, singleShot=True)
        self._reconnect_timer.timeout.connect(self._connect)

    # -- life cycle ----------------------------------------------------------------------
    def start(self) -> None:
        if self._running:
            return
        self._running = True
        if self.mode == "notify":
            self._connect()
        else:
            self._poll()
            self._poll_timer.start()

    def stop(self) -> None:
        self._running = False
        self._poll_timer.stop()
        self._reconnect_timer.stop()
        self._detach()

    @property
    def running(self) -> bool:
        return self._running

    def _set_live(self, live: bool) -> None:
        if self.live != live:
            self.live = live
            self.live_changed.emit(live)

    def _emit(self, payload: dict[str, Any]) -> None:
        self.last_change_at = time.monotonic()
        self.changed.emit(payload)

    # -- PostgreSQL: LISTEN through a QSocketNotifier ------------------------------------
    def _connect(self) -> None:
        if not self._running or (self._task is not None and not self._task.done):
            return
        engine, channel = self.context.engine, person_channel(self.person_id)
        self._task = run_in_background(
            lambda: NotificationListener(engine, [channel]),
            on_success=self._attach,
            on_error=self._connect_failed,
            owner=self,
        )

    def _attach(self, listener: NotificationListener) -> None:
        if not self._running:
            listener.close()
            return
        self._listener = listener
        self._notifier = QSocketNotifier(listener.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._readable)
        self._set_live(True)
        if self._lost_once:  # whatever was sent while we were away: re-read it all
            self._emit({"catch_up": True})
        self._readable()  # anything that arrived between LISTEN and now

    def _connect_failed(self, error: TaskError) -> None:
        log.info("inbox listener cannot connect: %s", error.message)
        self._lost()

    def _readable(self, *_: object) -> None:
        if self._listener is None:
            return
        try:
            found = self._listener.poll()
        except ListenerLost as exc:
            log.info("inbox listener lost its connection: %s", exc)
            self._lost()
            return
        threads = sorted({int(t) for n in found if isinstance(t := n.data().get("thread_id"), int)})
        if found:
            self._emit({"thread_ids": threads})

    def _lost(self) -> None:
        self._detach()
        self._lost_once = True
        self._set_live(False)
        if self._running:
            self._reconnect_timer.start()

    def _detach(self) -> None:
        if self._notifier is not None:
            self._notifier.setEnabled(False)
            self._notifier.deleteLater()
            self._notifier = None
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    # -- SQLite: a cheap poll --------------------------------------------------------------
    def _poll(self) -> None:
        if not self._running or (self._task is not None and not self._task.done):
            return
        context = self.context

        def marker() -> tuple[object, ...]:
            with context.unit_of_work() as ctx:
                return inbox_marker(ctx)

        self._task = run_in_background(
            marker, on_success=self._polled, on_error=self._poll_failed, owner=self
        )

    def _polled(self, marker: tuple[object, ...]) -> None:
        self._set_live(True)
        previous, self._marker = self._marker, marker
        if previous is not None and previous != marker:
            self._emit({"catch_up": True})

    def _poll_failed(self, error: TaskError) -> None:
        self._set_live(False)
