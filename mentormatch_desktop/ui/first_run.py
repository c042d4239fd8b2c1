"""The first-run chooser: where does this copy of MentorMatch start?

Shown once, when there is neither a user config file nor an administrator's system file
(see :func:`mentormatch_desktop.config.is_first_run`). Three ways in: the demo
organisation in the embedded database on this computer (the default button), a new empty
database file on this computer for the user's own organisation (created here, 0600; the
app migrates it with Alembic when it opens it, behind its progress dialog), the
organisation's shared server (the existing :class:`SignInDialog`), or a database file the
user picks. The caller remembers the choice in the user's config file, so the chooser is
not shown again.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mentormatch_desktop.config import data_dir, default_database_url
from mentormatch_desktop.storage.opening import DatabaseProblem, create_private_file
from mentormatch_desktop.ui.sign_in import SignedIn, SignInDialog
from mentormatch_desktop.ui.widgets import Banner

DEMO, NEW, SERVER, FILE = "demo", "new", "server", "file"
FILE_FILTER = "MentorMatch databases (*.sqlite3 *.sqlite *.db);;All files (*)"
NEW_FILE_FILTER = "MentorMatch databases (*.sqlite3)"


def suggested_new_database() -> Path:
    """Where a new local database goes unless the user picks elsewhere: the user data dir
    (platformdirs, or ``$MENTORMATCH_DATA_DIR``), under a name not taken yet."""
    folder = data_dir()
    candidate = folder / "my-organisation.sqlite3"
    number = 2
    while candidate.exists():
        candidate = folder / f"my-organisation-{number}.sqlite3"
        number += 1
    return candidate


def create_new_database(path: Path) -> Path:
    """Create the empty database file the user named (0600); the app migrates it when it
    opens it. Raises :class:`DatabaseProblem` for a file that exists (never overwritten:
    that is "Open a database file…") or a folder we cannot write to."""
    path = path if path.suffix else path.with_suffix(".sqlite3")
    if path.exists():
        raise DatabaseProblem(
            f"{path} already exists: nothing was changed. Pick a new name, or use "
            "“Open a database file…” to open it."
        )
    if f"sqlite:///{path.resolve()}" == default_database_url():
        raise DatabaseProblem(f"{path} is where the demo lives: pick another name")
    try:
        create_private_file(path)
    except OSError as exc:
        raise DatabaseProblem(f"cannot create {path}: {exc.strerror or exc}") from exc
    return path


class FirstRunDialog(QDialog):
    """After ``exec()``: ``choice`` is DEMO, NEW (``path``: the new empty file), SERVER
    (``signed_in`` set) or FILE (``path`` set); a rejected dialog leaves ``choice`` None."""

    def __init__(self, server_url: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Welcome to MentorMatch")
        self.choice: str | None = None
        self.signed_in: SignedIn | None = None
        self.path: Path | None = None
        self.server_url = server_url
        self.sign_in_dialog: SignInDialog | None = None
        self.file_dialog: QFileDialog | None = None
        self.new_dialog: QFileDialog | None = None

        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        title = QLabel("<b>Where would you like to start?</b>")
        layout.addWidget(title)
        layout.addWidget(
            QLabel("You can change this later in the config file; this question is asked once.")
        )
        self.banner = Banner("error")
        layout.addWidget(self.banner)
        self.demo_button = self._choice_button(
            "Try the demo (on this computer)",
            "A sample organisation with programmes, people and matches, stored on this "
            "computer only. Nothing is shared.",
            layout,
        )
        self.new_button = self._choice_button(
            "Create a new local database…",
            "An empty database on this computer for your own organisation: you import your "
            "participants next. Other accounts on this computer cannot read it.",
            layout,
        )
        self.server_button = self._choice_button(
            "Connect to my organisation's server…",
            "Sign in to the shared database your organisation runs, with your own login.",
            layout,
        )
        self.file_button = self._choice_button(
            "Open a database file…",
            "A MentorMatch database file (SQLite) you already have.",
            layout,
        )
        self.demo_button.setObjectName("primary")  # the style sheet's accent button
        self.demo_button.setDefault(True)
        self.demo_button.setAutoDefault(True)
        self.demo_button.clicked.connect(self.choose_demo)
        self.new_button.clicked.connect(self.choose_new)
        self.server_button.clicked.connect(self.choose_server)
        self.file_button.clicked.connect(self.choose_file)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Quit")
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.setMinimumWidth(460)
        self.demo_button.setFocus()

    def _choice_button(self, text: str, detail: str, layout: QVBoxLayout) -> QPushButton:
        button = QPushButton(text)
        button.setMinimumHeight(36)
        button.setStyleSheet("text-align: left; padding: 6px 12px; font-weight: 600;")
        hint = QLabel(detail)
        hint.setWordWrap(True)
        hint.setContentsMargins(14, 0, 0, 6)
        hint.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        hint.setStyleSheet("color: palette(placeholder-text);")
        layout.addWidget(button)
        layout.addWidget(hint)
        return button

    def choose_demo(self) -> None:
        self.choice = DEMO
        self.accept()

    def choose_new(self) -> None:
        """Ask where the new database goes (suggesting the user data dir)."""
        self.banner.hide()
        suggested = suggested_new_database()
        dialog = QFileDialog(self, "Create a new MentorMatch database", str(suggested.parent),
                             NEW_FILE_FILTER)  # fmt: skip
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("sqlite3")
        dialog.selectFile(suggested.name)
        # An existing file is refused below, with a message, rather than overwritten.
        dialog.setOption(QFileDialog.Option.DontConfirmOverwrite, True)
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        self.new_dialog = dialog
        dialog.fileSelected.connect(self._new_file_chosen)
        dialog.open()

    def _new_file_chosen(self, name: str) -> None:
        if not name:
            return
        try:
            self.path = create_new_database(Path(name))
        except DatabaseProblem as exc:
            self.show_error(str(exc))
            return
        self.choice = NEW
        self.accept()

    def show_error(self, message: str) -> None:
        """The problem above the choices, every line of it (a wrapped label in a dialog
        is otherwise given the height of fewer lines than it needs)."""
        self.banner.show_message(message, "error")
        label = self.banner.message
        label.setMinimumHeight(label.heightForWidth(max(label.width(), 360)))
        self.adjustSize()

    def choose_server(self) -> None:
        """Open the sign-in dialog; back to the chooser if it is cancelled."""
        dialog = SignInDialog(self.server_url, self)
        self.sign_in_dialog = dialog
        dialog.accepted.connect(self._signed_in)
        dialog.open()

    def _signed_in(self) -> None:
        assert self.sign_in_dialog is not None
        if self.sign_in_dialog.signed_in is None:
            return
        self.signed_in = self.sign_in_dialog.signed_in
        self.choice = SERVER
        self.accept()

    def choose_file(self) -> None:
        dialog = QFileDialog(self, "Open a MentorMatch database", str(Path.home()), FILE_FILTER)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        self.file_dialog = dialog
        dialog.fileSelected.connect(self._file_chosen)
        dialog.open()

    def _file_chosen(self, name: str) -> None:
        if not name:
            return
        self.path = Path(name)
        self.choice = FILE
        self.accept()
