"""System checks of the networks app, run by every `manage.py` command and at start-up."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.checks import Error, Warning, register

from networks.providers.graph import GRAPH_VERSION, graph_sunset, valid_graph_version

#: A sunset this close is worth a warning at every start: moving a version needs a release and a test run.
SUNSET_NOTICE = dt.timedelta(days=90)


@register()
def graph_api_version(app_configs, *, today: dt.date | None = None, **kwargs):
    """CMHUB_GRAPH_API_VERSION must be a version Meta still serves."""
    version = getattr(settings, "CMHUB_GRAPH_API_VERSION", "") or GRAPH_VERSION
    if not valid_graph_version(version):
        return [
            Error(
                f"CMHUB_GRAPH_API_VERSION must look like v25.0, not {version!r}.",
                hint="Leave it empty for the version CM Hub is tested with.",
                id="cmhub.E101",
            )
        ]
    sunset = graph_sunset(version)
    today = today or dt.datetime.now(dt.UTC).date()
    if sunset is None or sunset - today > SUNSET_NOTICE:
        return []
    if sunset <= today:
        message = (
            f"Meta stopped serving Graph API {version} on {sunset:%Y-%m-%d}; calls are silently upgraded."
        )
    else:
        message = f"Meta stops serving Graph API {version} on {sunset:%Y-%m-%d}."
    return [Warning(message, hint="Move CMHUB_GRAPH_API_VERSION to a newer version.", id="cmhub.W101")]
