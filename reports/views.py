from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.contrib import messages
from django.http import HttpResponse, HttpResponseBase, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET

from accounts.access import WorkspaceRequest, workspace_view
from accounts.policy import Perm, can
from core import dates
from core.csv import csv_streaming_response
from inbox import selectors as inbox_selectors
from inbox.forms import CONVERSATION_IDS_MAX
from networks.models import network_choices
from reports import publishing, reviews, selectors, sentiment
from reports.framework import ReportFilter, ReportFilterForm, own_figures_user_id, report_filter_for
from reports.overview import overview
from reports.presentation import (
    heat_rows,
    inbox_chart_data,
    inbox_csv_rows,
    own_suggestion_tables,
    publishing_chart_data,
    publishing_tables,
    reviews_chart_data,
    reviews_tables,
    sentiment_chart_data,
    sentiment_tables,
    tables_csv_rows,
    team_csv_rows,
)

# The report pages' tabs, in order: (url name, label). A new report is one entry here and its view.
TABS: list[tuple[str, Any]] = [
    ("reports_inbox", gettext_lazy("Inbox")),
    ("reports_team", gettext_lazy("Team")),
    ("reports_sentiment", gettext_lazy("Sentiment and intent")),
    ("reports_publishing", gettext_lazy("Publishing")),
    ("reports_reviews", pgettext_lazy("customer reviews", "Reviews")),
]

# The filter's parameters, kept by the tabs, the CSV links and the drill-downs.
FILTER_PARAMS = tuple(ReportFilterForm.base_fields)


@workspace_view()
@require_GET
def workspace_home(request: WorkspaceRequest) -> HttpResponse:
    """The Overview: what needs a person now, each figure linking to the list it counts."""
    context = {
        "overview": overview(request.membership),
        "today": timezone.localdate(),  # the date filter of the inbox reads the person's zone
    }
    return render(request, "reports/overview.html", context)


def _own_user_id(request: WorkspaceRequest) -> int | None:
    return own_figures_user_id(request.membership)


def _filter_query(params: QueryDict) -> str:
    kept = QueryDict(mutable=True)
    for name in FILTER_PARAMS:
        for value in params.getlist(name):
            if value:
                kept.appendlist(name, value)
    return kept.urlencode()


def _parse(request: WorkspaceRequest) -> tuple[ReportFilter | None, ReportFilterForm]:
    return report_filter_for(request.membership, request.GET)


def _filtered(request: WorkspaceRequest, tab: str) -> tuple[ReportFilter | None, dict]:
    """The filter a tab asks for, and the page's context around it (with the form's errors when bad)."""
    f, form = _parse(request)
    return f, _page_context(request, tab, form, f)


def _page_context(
    request: WorkspaceRequest, tab: str, form: ReportFilterForm, f: ReportFilter | None
) -> dict:
    workspace = request.workspace
    query = _filter_query(request.GET)
    tz = zoneinfo.ZoneInfo(workspace.timezone or "UTC")
    return {
        "filter": f,
        "period_first": f.start.astimezone(tz).date() if f else None,
        "period_last": (f.end.astimezone(tz) - dt.timedelta(days=1)).date() if f else None,
        "tabs": [(name, label, reverse(name, args=[workspace.slug])) for name, label in TABS],
        "tab": tab,
        "form": form,
        "query": query,
        "own_only": _own_user_id(request) is not None,
        "channels": inbox_selectors.workspace_channels(workspace),
        "labels": inbox_selectors.workspace_labels(workspace),
        "members": inbox_selectors.workspace_members(workspace),
        "networks": network_choices(),
        "drill_url": reverse("reports_drill", args=[workspace.slug]),
        "csv_url": f"{request.path}?{query}{'&' if query else ''}format=csv",
        # Row-level export of the period's conversations: managers' and admins' (it names every contact).
        "export_url": (
            reverse("reports_conversations_csv", args=[workspace.slug]) + (f"?{query}" if query else "")
            if can(request.membership, Perm.VIEW_REPORTS)
            else ""
        ),
    }


@workspace_view(Perm.VIEW_OWN_REPORTS)
@require_GET
def reports_home(request: WorkspaceRequest) -> HttpResponse:
    """The reports start on the Inbox report, with whatever filter was asked for."""
    target = reverse("reports_inbox", args=[request.workspace.slug])
    query = _filter_query(request.GET)
    return HttpResponseRedirect(f"{target}?{query}" if query else target)


@workspace_view(Perm.VIEW_OWN_REPORTS)
@require_GET
def reports_inbox(request: WorkspaceRequest) -> HttpResponseBase:
    f, context = _filtered(request, "reports_inbox")
    if f is None:
        return render(request, "reports/inbox.html", context, status=400)
    report = selectors.inbox_report(request.workspace, f, user_id=_own_user_id(request))
    if request.GET.get("format") == "csv":
        return csv_streaming_response(
            inbox_csv_rows(report, f),
            header=[_("Section"), _("Figure"), _("Value"), _("Previous period")],
            filename=f"inbox-report-{f.start:%Y-%m-%d}.csv",
        )
    context.update(
        {
            "report": report,
            "buckets": list(zip(selectors.BUCKET_LABELS, report["current"].buckets, strict=True)),
            "previous_buckets": report["previous"].buckets if report["previous"] else None,
            "heat": heat_rows(report["heatmap"]) if report["heatmap"] is not None else None,
            "chart_data": inbox_chart_data(report, f),
        }
    )
    return render(request, "reports/inbox.html", context)


@workspace_view(Perm.VIEW_OWN_REPORTS)
@require_GET
def reports_team(request: WorkspaceRequest) -> HttpResponseBase:
    f, context = _filtered(request, "reports_team")
    if f is None:
        return render(request, "reports/team.html", context, status=400)
    rows = selectors.team_report(request.workspace, f, user_id=_own_user_id(request))
    if request.GET.get("format") == "csv":
        return csv_streaming_response(
            team_csv_rows(rows),
            header=[
                _("Agent"),
                _("Replies"),
                _("Conversations resolved"),
                _("Median first response (seconds)"),
                _("Median reply time (seconds)"),
                _("First responses within SLA (%)"),
                _("Approvals given"),
                _("Approvals requested"),
            ],
            filename=f"team-report-{f.start:%Y-%m-%d}.csv",
        )
    context["rows"] = rows
    return render(request, "reports/team.html", context)


# Which figures an agent sees (VIEW_OWN_REPORTS without VIEW_REPORTS), as on the Inbox and Team pages: the
# figures that name them, nothing that names nobody (rather than zeros, or the whole team's).
# - Sentiment and intent: the public's mood, intents, spam and auto-replies name no one in the team, so an
#   agent sees only the suggestions they decided on (sent as is, edited, ignored).
# - Publishing: a post names its author, so an agent sees every figure of the posts they wrote.
OWN_SUGGESTION_FIGURES = ("sent_as_is", "edited", "ignored")


def _tables_csv(tables: list[dict], name: str, f: ReportFilter) -> HttpResponseBase:
    """The page's tables as they are shown, one after the other."""
    return csv_streaming_response(tables_csv_rows(tables), filename=f"{name}-report-{f.start:%Y-%m-%d}.csv")


@workspace_view(Perm.VIEW_OWN_REPORTS)
@require_GET
def reports_sentiment(request: WorkspaceRequest) -> HttpResponseBase:
    f, context = _filtered(request, "reports_sentiment")
    if f is None:
        return render(request, "reports/sentiment.html", context, status=400)
    own = _own_user_id(request)
    report = None
    if own is None:
        report = sentiment.sentiment_report(request.workspace, f, user=request.user)
        inbox_url = reverse("inbox", args=[request.workspace.slug])
        tables = sentiment_tables(report, inbox_url=inbox_url)
    else:
        figures = sentiment.suggestion_figures(request.workspace, f, user_id=own)
        tables = own_suggestion_tables([x for x in figures if x.key in OWN_SUGGESTION_FIGURES])
    if request.GET.get("format") == "csv":
        return _tables_csv(tables, "sentiment", f)
    context.update({"report": report, "tables": tables})
    if report is not None:
        net = report.total.net
        context["net"] = "—" if net is None else f"{net:+.0f}"
        context["chart_data"] = sentiment_chart_data(report, f)
    return render(request, "reports/sentiment.html", context)


@workspace_view(Perm.VIEW_OWN_REPORTS)
@require_GET
def reports_publishing(request: WorkspaceRequest) -> HttpResponseBase:
    f, context = _filtered(request, "reports_publishing")
    if f is None:
        return render(request, "reports/publishing.html", context, status=400)
    report = publishing.publishing_report(request.workspace, f, author_id=_own_user_id(request))
    slug = request.workspace.slug
    tables = publishing_tables(report, post_url=lambda pk: reverse("post_detail", args=[slug, pk]))
    if request.GET.get("format") == "csv":
        return _tables_csv(tables, "publishing", f)
    lead = report.lead_time.median
    context.update(
        {
            "report": report,
            "tables": tables,
            "on_time": sum(row.on_time for row in report.networks),
            "late": sum(row.late for row in report.networks),
            "lead_seconds": lead.total_seconds() if lead is not None else None,
            "chart_data": publishing_chart_data(report, f),
        }
    )
    return render(request, "reports/publishing.html", context)


@workspace_view(Perm.VIEW_OWN_REPORTS)
@require_GET
def reports_reviews(request: WorkspaceRequest) -> HttpResponseBase:
    """Reviews: their stars over time and by stars, how many were answered and how fast. Reviews name no
    one in the team (as the public's mood on the Sentiment page): managers and admins see them."""
    f, context = _filtered(request, "reports_reviews")
    if f is None:
        return render(request, "reports/reviews.html", context, status=400)
    if _own_user_id(request) is not None:
        return render(request, "reports/reviews.html", context)
    report = reviews.reviews_report(request.workspace, f)
    inbox_url = reverse("inbox", args=[request.workspace.slug])
    scope = {name: str(value) for name, value in (("channel", f.channel), ("network", f.network)) if value}
    tables = reviews_tables(report, inbox_url=inbox_url, query=scope)
    if request.GET.get("format") == "csv":
        return _tables_csv(tables, "reviews", f)
    context.update({"report": report, "tables": tables, "chart_data": reviews_chart_data(report, f)})
    return render(request, "reports/reviews.html", context)


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 10 else None


@workspace_view(Perm.VIEW_OWN_REPORTS)
@require_GET
def reports_drill(request: WorkspaceRequest) -> HttpResponse:
    """From a figure to the inbox listing exactly the conversations it counted (every status), newest
    first; beyond CONVERSATION_IDS_MAX the newest are listed and the page says so."""
    f, _form = _parse(request)
    inbox_url = reverse("inbox", args=[request.workspace.slug])
    if f is None:
        messages.error(request, _("The report's filter was not understood."))
        return redirect(inbox_url)
    params = request.GET
    day = dates.parse_date(params.get("day"))
    ids = selectors.drill_conversation_ids(
        request.workspace,
        f,
        metric=params.get("metric", ""),
        user_id=_own_user_id(request),
        previous=params.get("period") == "previous",
        bucket=_int(params.get("bucket")),
        weekday=_int(params.get("weekday")),
        hour=_int(params.get("hour")),
        day=day if isinstance(day, dt.date) else None,
        series_name=params.get("series", "created"),
        agent_id=_int(params.get("agent")),
    )
    if len(ids) > CONVERSATION_IDS_MAX:
        messages.info(
            request,
            _("This figure counts %(total)s conversations: the %(shown)s most recent are listed.")
            % {"total": len(ids), "shown": CONVERSATION_IDS_MAX},
        )
    shown = ",".join(str(i) for i in ids[:CONVERSATION_IDS_MAX]) or "0"  # id 0: nothing matches
    query = QueryDict(mutable=True)
    query.update({"status": "all", "conversations": shown})
    return redirect(f"{inbox_url}?{query.urlencode(safe=',')}")
