"""The time-zone picker: canonical zones only, grouped by region, with today's offset; old aliases kept."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from core import timezones
from core.timezones import canonical_zones, timezone_choices, zone_label

WINTER = dt.datetime(2031, 1, 15, 12, tzinfo=dt.UTC)
SUMMER = dt.datetime(2031, 7, 15, 12, tzinfo=dt.UTC)
ALIASES = ("US/Eastern", "Asia/Calcutta", "Europe/Kiev", "America/Buenos_Aires", "Etc/GMT+5", "Navajo", "GB")


def _groups(choices) -> dict[str, list[str]]:
    return {str(label): [v for v, _ in zones] for label, zones in choices if isinstance(zones, list)}


def test_canonical_zones_leave_the_aliases_out():
    zones = canonical_zones()
    assert {"Europe/Paris", "Europe/Amsterdam", "Asia/Kolkata", "Europe/Kyiv", "UTC"} <= zones
    assert not zones & set(ALIASES)


def test_choices_are_grouped_by_region_with_the_offset_of_the_day():
    choices = timezone_choices(now=WINTER)
    assert choices[0] == ("UTC", "UTC")
    groups = _groups(choices)
    assert list(groups) == [
        "Africa",
        "Americas",
        "Antarctica",
        "Arctic",
        "Asia",
        "Atlantic Ocean",
        "Australia",
        "Europe",
        "Indian Ocean",
        "Pacific Ocean",
    ]
    assert "Europe/Paris" in groups["Europe"] and "America/Argentina/Buenos_Aires" in groups["Americas"]
    assert sum(len(zones) for zones in groups.values()) + 1 == len(canonical_zones())
    labels = dict(choices[1][1] + choices[8][1])
    assert labels["Europe/Paris"] == "Paris (UTC+01:00)"
    assert labels == dict(sorted(labels.items(), key=lambda item: item[1]))  # by place within a region


def test_labels_say_the_place_and_the_offset():
    assert zone_label("Europe/Paris", now=SUMMER) == "Paris (UTC+02:00)"
    assert zone_label("America/St_Johns", now=WINTER) == "St Johns (UTC−03:30)"
    assert zone_label("America/Argentina/Buenos_Aires", now=WINTER) == "Argentina / Buenos Aires (UTC−03:00)"
    assert zone_label("Asia/Kathmandu", now=WINTER) == "Kathmandu (UTC+05:45)"


def test_a_saved_alias_is_offered_first_so_a_form_keeps_it():
    choices = timezone_choices(current="US/Eastern", now=WINTER)
    assert choices[0] == ("US/Eastern", "US / Eastern (UTC−05:00)")
    assert timezone_choices(current="Mars/Olympus", now=WINTER)[0] == ("UTC", "UTC")  # not a zone at all


def test_without_zone_tab_the_regions_still_filter_the_aliases(monkeypatch):
    monkeypatch.setattr(timezones, "_zone_tab", lambda: "")  # a system without tzdata's zone.tab
    timezones.canonical_zones.cache_clear()
    try:
        zones = canonical_zones()
        assert {"Europe/Paris", "UTC"} <= zones
        assert not zones & {"US/Eastern", "Etc/GMT+5", "Navajo", "GB"}
    finally:
        timezones.canonical_zones.cache_clear()


# --- The two pages with a picker --------------------------------------------------------------------------


def _options(html: str) -> list[str]:
    select = re.search(r'<select name="timezone".*?</select>', html, re.S).group(0)
    return re.findall(r'<option value="([^"]*)"', select)


def test_profile_picker_is_grouped_and_keeps_a_saved_alias(agent_client, agent):
    page = agent_client.get("/me/").content.decode()
    assert '<optgroup label="Europe">' in page and '<optgroup label="Americas">' in page
    options = _options(page)
    assert "Europe/Paris" in options and not set(options) & set(ALIASES)

    agent.timezone = "Asia/Calcutta"  # chosen before the picker listed canonical names only
    agent.save()
    page = agent_client.get("/me/").content.decode()
    assert re.search(r'<option value="Asia/Calcutta"[^>]*selected', page)
    data = {"display_name": "Ada", "language": "", "timezone": "Asia/Calcutta"}
    assert agent_client.post("/me/", data).status_code == 302  # saving the profile keeps it


@pytest.mark.parametrize("language", ["en", "fr"])
def test_workspace_picker_is_grouped_in_the_persons_language(owner_client, owner, workspace, language):
    owner.language = language
    owner.save()
    page = owner_client.get("/w/acme/settings/").content.decode()
    region = {"en": "Americas", "fr": "Amériques"}[language]
    assert f'<optgroup label="{region}">' in page
    options = _options(page)
    assert "America/New_York" in options and "US/Eastern" not in options
