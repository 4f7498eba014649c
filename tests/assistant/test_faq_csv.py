"""FAQ CSV: the export guards against formula injection (OWASP: a leading quote), and an import of that export
gives back exactly what was exported: the phone number "+33 1 23 45 67 89" must not come back as
"'+33 1 23 45 67 89" and go out to customers with the apostrophe."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from assistant import services
from assistant.models import FaqEntry

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Text that starts like the cases that matter (quotes, then a trigger) more often than chance would.
tricky = st.builds(
    lambda quotes, start, rest: "'" * quotes + start + rest,
    st.integers(min_value=0, max_value=3),
    st.sampled_from([*TRIGGERS, "", "a", " ", "'"]),
    st.text(),
)


def _through_csv(cells: list[str]) -> list[str]:
    out = io.StringIO()
    csv.writer(out).writerow(cells)
    return next(csv.reader(io.StringIO(out.getvalue())))


@given(st.one_of(st.text(), tricky))
@example("+33 1 23 45 67 89")
@example("'=1+1")
@example("''@x")
@example("'plain")
@example("")
def test_import_gives_back_exactly_what_export_wrote(value):
    exported = services.csv_protect(value)
    assert not exported.startswith(TRIGGERS)  # a spreadsheet runs none of it
    written = _through_csv([exported])[0]
    assert written == exported
    assert services.csv_unprotect(written) == value


@pytest.mark.django_db
def test_an_export_imported_back_changes_no_value(workspace, manager):
    values = {
        "answer": "+33 1 23 45 67 89",
        "url": "",
        "questions": ["-10 % on Mondays?", "'=SUM(1;2)", "@home?"],
        "tags": ["=x", "'quoted", "plain"],
    }
    entry = FaqEntry.objects.create(workspace=workspace, group="phone", language="fr", **values)
    report = services.faq_import_csv(by=manager.memberships.get(), content=services.faq_export_csv(workspace))
    assert (report.created, report.updated, report.errors) == (0, 1, [])
    entry.refresh_from_db()
    assert {k: getattr(entry, k) for k in values} == values
