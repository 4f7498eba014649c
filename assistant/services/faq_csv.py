"""FAQ import and export as CSV, with spreadsheet-formula protection both ways (`core.csv`)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.audit import audit_export_downloaded
from accounts.models import Membership, Workspace
from assistant import selectors
from assistant.models import FaqEntry, Language
from core.csv import csv_protect, csv_unprotect

from .common import _require

CSV_COLUMNS = ["group", "language", "questions", "answer", "url", "tags", "active"]
_HEADER_ALIASES = {"question": "questions", "question(s)": "questions", "lang": "language"}
MAX_IMPORT_ROWS = 2000
_TRUE = {"", "1", "true", "yes", "y", "oui", "vrai", "x"}
_FALSE = {"0", "false", "no", "n", "non", "faux"}


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number in the file, problem)


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split("|") if part.strip()]


def _parse_row(row: dict[str, str]) -> tuple[dict, list[str]]:
    problems = []
    group = slugify(row.get("group", "").strip())[:80]
    if not group:
        problems.append(_("group is missing"))
    language = row.get("language", "").strip().lower()
    if language not in Language.values:
        problems.append(_("language must be fr or en"))
    questions = _split(row.get("questions", ""))
    if not questions:
        problems.append(_("no question"))
    answer = row.get("answer", "").strip()
    if not answer:
        problems.append(_("answer is missing"))
    url = row.get("url", "").strip()
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            problems.append(_("url is not a web address"))
    tags_raw = row.get("tags", "")
    tags = _split(tags_raw) if "|" in tags_raw else [t.strip() for t in tags_raw.split(",") if t.strip()]
    active_raw = row.get("active", "").strip().lower()
    if active_raw not in _TRUE | _FALSE:
        problems.append(_("active must be yes or no"))
    data = {
        "group": group,
        "language": language,
        "questions": questions,
        "answer": answer,
        "url": url,
        "tags": tags,
        "active": active_raw in _TRUE,
    }
    return data, problems


def faq_import_csv(*, by: Membership, content: str) -> ImportReport:
    """Upsert FAQ entries by (group, language) from CSV text. Bad rows are reported with their line number
    and skipped; good rows are kept."""
    _require(by)
    report = ImportReport()
    reader = csv.DictReader(io.StringIO(content.lstrip("\ufeff")))
    if not reader.fieldnames:
        report.errors.append((1, _("The file is empty.")))
        return report
    reader.fieldnames = [_HEADER_ALIASES.get(h.strip().lower(), h.strip().lower()) for h in reader.fieldnames]
    missing = [c for c in ("group", "language", "questions", "answer") if c not in reader.fieldnames]
    if missing:
        report.errors.append((1, _("Missing column(s): %(names)s.") % {"names": ", ".join(missing)}))
        return report
    good: dict[tuple[str, str], tuple[int, dict]] = {}
    try:
        for row in reader:
            line = reader.line_num
            if len(good) + len(report.errors) >= MAX_IMPORT_ROWS:
                report.errors.append((line, _("Too many rows: the rest was not read.")))
                break
            if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
                continue
            cells = {k: csv_unprotect(v or "") for k, v in row.items() if isinstance(v, str)}
            data, problems = _parse_row(cells)
            if problems:
                report.errors.append((line, "; ".join(problems)))
            else:
                good[(data["group"], data["language"])] = (line, data)
    except csv.Error as exc:
        report.errors.append((reader.line_num, _("Unreadable CSV: %(error)s") % {"error": exc}))
    now = timezone.now()
    with transaction.atomic():
        existing = {
            (e.group, e.language): e
            for e in FaqEntry.objects.select_for_update().filter(workspace_id=by.workspace_id)
        }
        for key, (_line, data) in good.items():
            entry = existing.get(key)
            if entry is None:
                FaqEntry.objects.create(workspace_id=by.workspace_id, created_at=now, updated_at=now, **data)
                report.created += 1
            else:
                for name, value in data.items():
                    setattr(entry, name, value)
                entry.updated_at = now
                entry.save()
                report.updated += 1
    report.errors.sort()
    return report


def faq_export_csv(workspace: Workspace, *, by: Membership | None = None) -> str:
    """The FAQ as CSV; `by` (the person downloading it) is recorded in the audit log."""
    if by is not None:
        audit_export_downloaded(workspace=workspace, by=by, export="faq")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for e in selectors.faq_entries(workspace):
        writer.writerow(
            [
                csv_protect(e.group),
                e.language,
                csv_protect(" | ".join(e.questions)),
                csv_protect(e.answer),
                csv_protect(e.url),
                csv_protect(" | ".join(e.tags)),
                "yes" if e.active else "no",
            ]
        )
    return out.getvalue()
