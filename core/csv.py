"""CSV exports: cells no spreadsheet runs as formulas, and responses streamed so that a million rows never
sit in memory. Every CSV the product writes (FAQ, audit log, reports) goes through here.

    from core.csv import csv_protect, csv_unprotect, csv_streaming_response

    def export(request):
        rows = ([e.pk, e.name, e.created_at] for e in queryset.iterator(chunk_size=2000))
        return csv_streaming_response(rows, header=[_("id"), _("name"), _("created")], filename="x.csv")
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.http import StreamingHttpResponse

# A spreadsheet runs a cell starting with one of these as a formula; OWASP's advice is a leading quote,
# which keeps it text. To give back on import exactly what was exported, the quote must be told apart from
# one the value itself starts with: the export quotes every value that is quotes-then-a-trigger ("=1",
# "'=1", "''=1"), and the import removes one quote from a cell that is one or more quotes-then-a-trigger.
# Any other cell, apostrophes included ("'plain", "'"), passes both ways untouched.
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

#: Rows written per chunk of a streamed response: one chunk per row is a write (and a syscall) per row,
#: which caps an export at a few thousand rows a second; a few hundred rows make chunks of tens of KB.
ROWS_PER_CHUNK = 500


def _quotes_then_trigger(value: str) -> bool:
    return value.lstrip("'").startswith(_FORMULA_TRIGGERS)


def csv_protect(value: str) -> str:
    """A cell for export that no spreadsheet runs as a formula; `csv_unprotect` gives `value` back."""
    return f"'{value}" if _quotes_then_trigger(value) else value


def csv_unprotect(cell: str) -> str:
    """The value `csv_protect` made `cell` from."""
    return cell[1:] if cell.startswith("'") and _quotes_then_trigger(cell) else cell


def csv_cell(value: Any) -> str:
    """Any value as a safe cell: None is empty, numbers stay numbers (a negative number is no formula, and
    a quote would make a spreadsheet read it as text), dates in ISO 8601, everything else protected text."""
    kind = type(value)
    if kind is str:  # the common cell first: an export calls this for every value of every row
        return f"'{value}" if value.lstrip("'").startswith(_FORMULA_TRIGGERS) else value
    if kind is int:
        return str(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return csv_protect(str(value))


class _Lines:
    """A file that hands back what csv.writer writes to it, so rows become strings without a buffer."""

    def write(self, value: str) -> str:
        return value


def csv_chunks(rows: Iterable[Sequence[Any]], *, header: Sequence[Any] = ()) -> Iterator[str]:
    """The CSV text of `header` then `rows` (any values, made cells by `csv_cell`), a few hundred rows
    per chunk. Lazy: rows are pulled as chunks are asked for."""
    writer = csv.writer(_Lines())
    chunk: list[str] = []
    if header:
        chunk.append(writer.writerow([csv_cell(h) for h in header]))
    for row in rows:
        chunk.append(writer.writerow([csv_cell(v) for v in row]))
        if len(chunk) >= ROWS_PER_CHUNK:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)


def csv_streaming_response(
    rows: Iterable[Sequence[Any]], *, filename: str, header: Sequence[Any] = ()
) -> StreamingHttpResponse:
    """A download of `header` then `rows`, streamed. Pass a lazy iterable (a generator over
    `QuerySet.iterator()`), or the rows are all in memory before the first byte leaves."""
    response = StreamingHttpResponse(csv_chunks(rows, header=header), content_type="text/csv; charset=utf-8")
    safe_name = "".join(c for c in filename if c.isalnum() or c in "._-") or "export.csv"
    response["Content-Disposition"] = f'attachment; filename="{safe_name}"'
    return response
