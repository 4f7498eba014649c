"""core.csv: every cell is safe to open in a spreadsheet, values come back exactly on import, and a
streamed export is lazy (rows are read as the response is sent, not before)."""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io

from hypothesis import example, given
from hypothesis import strategies as st

from core.csv import ROWS_PER_CHUNK, csv_cell, csv_chunks, csv_protect, csv_streaming_response, csv_unprotect

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
tricky = st.builds(
    lambda quotes, start, rest: "'" * quotes + start + rest,
    st.integers(min_value=0, max_value=3),
    st.sampled_from([*TRIGGERS, "", "a", " ", "'"]),
    st.text(),
)


def _read(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@given(st.lists(st.one_of(st.text(), tricky), min_size=1, max_size=5))
@example(['=HYPERLINK("http://evil")', "+1", "'-2", "@SUM(A1)", "\tx", "plain"])
def test_a_row_round_trips_through_the_csv_and_runs_no_formula(values):
    text = "".join(csv_chunks([values]))
    (row,) = _read(text)
    assert not any(cell.startswith(TRIGGERS) for cell in row)
    assert [csv_unprotect(cell) for cell in row] == values


def test_values_become_cells_of_their_kind():
    when = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)
    cells = [csv_cell(v) for v in [None, True, False, -3, 2.5, decimal.Decimal("-1.50"), when, "-3", "ok"]]
    assert cells == ["", "yes", "no", "-3", "2.5", "-1.50", "2026-03-01T09:30:00+00:00", "'-3", "ok"]
    assert csv_protect("-3") == "'-3"


def test_chunks_hold_a_few_hundred_rows_and_the_header_once():
    rows = ([i, f"name {i}"] for i in range(ROWS_PER_CHUNK * 2 + 1))
    chunks = list(csv_chunks(rows, header=["id", "name"]))
    assert len(chunks) == 3
    table = _read("".join(chunks))
    assert table[0] == ["id", "name"]
    assert len(table) == ROWS_PER_CHUNK * 2 + 2
    assert table[-1] == [str(ROWS_PER_CHUNK * 2), f"name {ROWS_PER_CHUNK * 2}"]


def test_the_response_is_streamed_and_pulls_rows_lazily():
    pulled = []

    def rows():
        for i in range(ROWS_PER_CHUNK * 3):
            pulled.append(i)
            yield [i]

    response = csv_streaming_response(rows(), filename='audit "x"/../log.csv', header=["n"])
    assert response.streaming
    assert pulled == []  # nothing is read before the response is sent
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="auditx..log.csv"'
    first = next(iter(response.streaming_content))
    assert len(pulled) <= ROWS_PER_CHUNK + 1
    assert first.startswith(b"n\r\n0\r\n")
