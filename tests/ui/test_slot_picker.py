"""The slot picker both "Find a time" dialogs share (real widgets, offscreen): one column per
person in their own zone, and a "Fits" column that is read in full in the table at the
group dialog's 1100 px, wrapping rather than being cut; with eight people the table scrolls
sideways instead of squeezing "Fits" to nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from PySide6.QtCore import QRect, Qt

from mentormatch_desktop.scheduling import Slot
from mentormatch_desktop.scheduling.slots import LocalView
from mentormatch_desktop.ui.views.slot_picker import FITS_MIN_WIDTH, SlotPicker, ZoneColumn
from mentormatch_desktop.ui.widgets import Banner

ZONES = (
    "Europe/Berlin",
    "America/Los_Angeles",
    "Asia/Tokyo",
    "Australia/Sydney",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Africa/Lagos",
    "Pacific/Auckland",
)
NAMES = (
    "You",
    "Bartholomew Featherstonehaugh",
    "Keira Fitzgerald",
    "Margaux Simon",
    "Naomi Wright",
    "Grace Brown",
    "Oluwaseun Adebayo",
    "Hinemoa Te Rangi",
)


def _slots(people: int, count: int = 4) -> list[Slot]:
    first = datetime(2026, 12, 8, 15, 30, tzinfo=UTC)
    slots = []
    for n in range(count):
        start = first + timedelta(days=n)
        views = tuple(
            LocalView(
                person_id=i + 1,
                label=NAMES[i],
                time_zone=ZONES[i],
                start=start.astimezone(ZoneInfo(ZONES[i])),
                end=(start + timedelta(minutes=60)).astimezone(ZoneInfo(ZONES[i])),
                preferred=n == 0 or i != 1,
                inconvenience_minutes=0 if n == 0 or i != 1 else 75,
                note="the clocks change that week" if n == 2 and i == 1 else None,
            )
            for i in range(people)
        )
        slots.append(Slot(start=start, end=start + timedelta(minutes=60), people=views))
    return slots


def _picker(qtbot, width: int) -> SlotPicker:
    picker = SlotPicker(
        Banner(),
        default_minutes=60,
        propose_label="Invite the group to this time",
        agenda_hint="What the group will talk about",
        on_search=lambda: None,
        on_propose=lambda: None,
    )
    qtbot.addWidget(picker)
    # What the group dialog at 1100 px leaves the picker beside its list of people.
    picker.resize(width, 520)
    picker.show()
    qtbot.waitExposed(picker)
    return picker


def _show(picker: SlotPicker, people: int) -> list[Slot]:
    slots = _slots(people)
    columns = [ZoneColumn(i + 1, NAMES[i], f"{NAMES[i]}: {ZONES[i]}") for i in range(people)]
    names = {1: "your"} | {i + 1: f"{NAMES[i]}'s" for i in range(1, people)}
    picker.show_slots(slots, columns, names, everyone="all")
    return slots


def test_group_find_time_fits_column_read_in_full_at_1100_px(qtbot) -> None:
    picker = _picker(qtbot, 770)
    slots = _show(picker, 3)
    table, head = picker.slots, picker.slots.horizontalHeader()
    qtbot.waitUntil(lambda: head.sectionSize(0) > 0)
    fits_col = table.columnCount() - 1
    assert table.columnCount() == 4
    assert table.item(0, fits_col).text() == "Inside all working hours"
    long_text = table.item(1, fits_col).text()
    assert long_text == "1 h 15 min outside Bartholomew Featherstonehaugh's working hours"
    assert "the clocks change that week" in table.item(2, fits_col).text()
    # Every column ends inside the visible width: nothing is cut at the right edge.
    right = head.sectionPosition(fits_col) + head.sectionSize(fits_col)
    assert right <= table.viewport().width()
    assert table.horizontalScrollBar().maximum() == 0
    # Each "Fits" text, wrapped to its column, fits in its row's height.
    metrics = table.fontMetrics()
    for row in range(len(slots)):
        text = table.item(row, fits_col).text()
        needed = metrics.boundingRect(
            QRect(0, 0, head.sectionSize(fits_col) - 12, 10_000),
            int(Qt.TextFlag.TextWordWrap),
            text,
        )
        assert needed.height() <= table.rowHeight(row), text
    # Each person's time in their own zone, the day over the time.
    tokyo = slots[0].people[2]
    day, hours = table.item(0, 2).text().split("\n")
    assert day == f"{tokyo.start:%a} {tokyo.start.day} {tokyo.start:%b}" == "Wed 9 Dec"
    assert hours == f"{tokyo.start:%H:%M}–{tokyo.end:%H:%M} JST" == "00:30–01:30 JST"
    table.selectRow(1)
    assert picker.selected_slot() is slots[1]


def test_group_find_time_with_eight_people_scrolls_rather_than_squeezing_fits(qtbot) -> None:
    picker = _picker(qtbot, 770)
    _show(picker, 8)
    table, head = picker.slots, picker.slots.horizontalHeader()
    qtbot.waitUntil(lambda: table.horizontalScrollBar().maximum() > 0)
    assert head.sectionSize(table.columnCount() - 1) >= FITS_MIN_WIDTH
    # Widen the dialog: "Fits" stretches over the room again and the scroll bar goes.
    picker.resize(1900, 520)
    qtbot.waitUntil(lambda: table.horizontalScrollBar().maximum() == 0)


def test_one_week_ahead_reads_in_the_singular(qtbot) -> None:
    picker = _picker(qtbot, 700)
    picker.weeks.setValue(1)
    assert picker.weeks.text() == "1 week"
    picker.weeks.setValue(3)
    assert picker.weeks.text() == "3 weeks"
    picker.set_search(90, 1)
    assert (picker.minutes(), picker.weeks.text()) == (90, "1 week")


def test_a_superseded_search_never_reaches_the_screen(qtbot) -> None:
    """Cancelling is a request: the first search's answer, already on its way, used to
    show its slots (for the people ticked before) and stop the progress panel while the
    second search still ran; the group dialog then proposed to the wrong people."""
    import threading

    picker = _picker(qtbot, 900)
    picker.show()
    first_may_answer, second_may_answer = threading.Event(), threading.Event()

    def fetch(who: str, gate: threading.Event, *, cancel) -> str:
        gate.wait(10)
        return who  # answers even when cancelled meanwhile, as a finished query does

    shown: list[str] = []
    first = picker.search(fetch, "four people", first_may_answer, message="…",
                          on_success=shown.append, on_error=lambda _e: None)  # fmt: skip
    second = picker.search(fetch, "two people", second_may_answer, message="…",
                           on_success=shown.append, on_error=lambda _e: None)  # fmt: skip
    first_may_answer.set()
    qtbot.waitUntil(lambda: first.done, timeout=10_000)
    assert shown == []
    assert picker.progress.isVisible() and not picker.search_button.isEnabled()
    second_may_answer.set()
    qtbot.waitUntil(lambda: second.done, timeout=10_000)
    assert shown == ["two people"]
    assert not picker.progress.isVisible() and picker.search_button.isEnabled()
