"""Opening the system browser from any thread, for sign-ins that run on workers.

A plugin's sign-in (:class:`~mentormatch_desktop.plugin.contracts.InteractiveSignIn`)
runs on a worker thread and asks for a URL to be opened; ``QDesktopServices`` belongs to
the GUI thread. :class:`SystemBrowser` is the callable handed to the plugin: calling it
queues the request to the GUI thread, which opens the URL and tells the dialog, so the
dialog can offer the link in case no browser came up.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices


class SystemBrowser(QObject):
    """``browser(url)`` from any thread opens ``url`` with the desktop's browser."""

    requested = Signal(str)  # emitted from the caller's thread
    opened = Signal(str, bool)  # in the GUI thread: the URL, and whether a browser took it

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        # Queued: the slot runs in this object's (the GUI) thread whoever emits.
        self.requested.connect(self._open, Qt.ConnectionType.QueuedConnection)

    def __call__(self, url: str) -> None:
        self.requested.emit(url)

    @Slot(str)
    def _open(self, url: str) -> None:
        ok = QDesktopServices.openUrl(QUrl(url))
        self.opened.emit(url, bool(ok))
