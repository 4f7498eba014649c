"""The time zones a person picks from: canonical ones only, grouped by region, with their offset today.

`zoneinfo.available_timezones()` also holds some 200 aliases kept for old software (US/Eastern, Asia/Calcutta,
Europe/Kiev, Etc/GMT+5, Navajo...): the same zone under a deprecated name, listed twice in a picker. tzdata's
`zone.tab` names each country's zones by their canonical names (Europe/Amsterdam and Europe/Oslo included,
which tzdata.zi makes links), so it is the list; where a system has no zone.tab the names are filtered by
their region instead (dropping the backward-compatible prefixes). Values stay valid whatever their name:
an alias already stored is still accepted and shown (accounts.models.validate_timezone).
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from importlib import resources
from pathlib import Path

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

#: A Select choice: (zone, label), or a group (region, [(zone, label), ...]).
Choice = tuple[str | Promise, str | list[tuple[str, str]]]

REGIONS = {
    "Africa": _("Africa"),
    "America": _("Americas"),
    "Antarctica": _("Antarctica"),
    "Arctic": _("Arctic"),
    "Asia": _("Asia"),
    "Atlantic": _("Atlantic Ocean"),
    "Australia": _("Australia"),
    "Europe": _("Europe"),
    "Indian": _("Indian Ocean"),
    "Pacific": _("Pacific Ocean"),
}


def _zone_tab() -> str:
    for directory in zoneinfo.TZPATH:
        path = Path(directory) / "zone.tab"
        if path.is_file():
            return path.read_text(encoding="utf-8")
    try:  # the tzdata package, where the system has no time zone database (Windows)
        return (resources.files("tzdata") / "zoneinfo" / "zone.tab").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        return ""


@functools.cache
def canonical_zones() -> frozenset[str]:
    available = zoneinfo.available_timezones()
    listed = {
        line.split("\t")[2]
        for line in _zone_tab().splitlines()
        if line.strip() and not line.startswith("#") and line.count("\t") >= 2
    }
    if not listed:
        listed = {name for name in available if name.partition("/")[0] in REGIONS and "/" in name}
    return frozenset((listed & available) | {"UTC"})


def _offset(name: str, now: dt.datetime) -> str:
    delta = now.astimezone(zoneinfo.ZoneInfo(name)).utcoffset() or dt.timedelta()
    minutes = int(delta.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "−"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def zone_label(name: str, *, now: dt.datetime | None = None) -> str:
    """Europe/Paris -> "Paris (UTC+01:00)"; America/Argentina/Buenos_Aires -> "Argentina / Buenos Aires"."""
    now = now or dt.datetime.now(dt.UTC)
    region, _slash, place = name.partition("/")
    words = (place if region in REGIONS and place else name).replace("_", " ").replace("/", " / ")
    return f"{words} ({_offset(name, now)})"


def timezone_choices(*, current: str = "", now: dt.datetime | None = None) -> list[Choice]:
    """Choices for a Select: UTC first, then one group per region sorted by place. A `current` value that is
    not canonical (an alias saved before) is offered first, so editing a form never changes it silently."""
    now = now or dt.datetime.now(dt.UTC)
    groups: dict[str, list[tuple[str, str]]] = {region: [] for region in REGIONS}
    for name in canonical_zones():
        region = name.partition("/")[0]
        if region in groups:
            groups[region].append((name, zone_label(name, now=now)))
    choices: list[Choice] = []
    if current and current not in canonical_zones() and current in zoneinfo.available_timezones():
        choices.append((current, zone_label(current, now=now)))
    choices.append(("UTC", "UTC"))
    for region, zones in groups.items():
        if zones:
            choices.append((REGIONS[region], sorted(zones, key=lambda zone: zone[1])))
    return choices
