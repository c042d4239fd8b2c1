"""Reading a large result in slices, so that a worker lets the GUI thread run in between.

``Result.all()`` on SQLite hands the whole fetch to the driver's C ``fetchall``, which keeps
the interpreter lock while it builds every row: on a 20,000-person database the Dashboard's
and Participants' reads held it long enough to freeze the window during start-up (issue 12,
seen with ``py-spy --gil``). Fetching a few thousand rows at a time returns to the
interpreter between slices, where the GUI thread can take the lock; the rows are the same.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Result, Row

#: Rows per driver call: a few milliseconds of C work, and few enough Python round trips.
FETCH_SLICE = 2000


def all_rows(result: Result[Any], size: int = FETCH_SLICE) -> list[Row[Any]]:
    """Every row of ``result``, as ``result.all()`` returns them, fetched ``size`` at a time."""
    rows: list[Row[Any]] = []
    for part in result.partitions(size):
        rows.extend(part)
    return rows
