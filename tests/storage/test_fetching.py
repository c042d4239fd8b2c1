"""Rows fetched in slices are exactly the rows ``Result.all()`` gives."""

from __future__ import annotations

import sqlalchemy as sa

from mentormatch_desktop.storage.fetching import all_rows


def test_slices_give_every_row_once_in_order_across_slice_boundaries() -> None:
    engine = sa.create_engine("sqlite://")
    query = sa.text(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 7) "
        "SELECT i, i * i FROM n ORDER BY i"
    )
    with engine.connect() as conn:
        expected = conn.execute(query).all()
        for size in (1, 2, 3, 7, 100):  # 7 rows: partial, exact and oversized last slices
            assert all_rows(conn.execute(query), size) == expected
        assert all_rows(conn.execute(sa.text("SELECT 1 WHERE 0"))) == []
