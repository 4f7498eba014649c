from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ops import access
from ops.metrics import registry


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    # Not configured: the page does not exist. Configured but refused: 403, with a hint for the operator
    # who set a token and forgot the header (the response names no figure).
    if not access.configured():
        raise Http404
    if not access.may_scrape(request):
        response = HttpResponse(
            "Forbidden: send Authorization: Bearer <CMHUB_METRICS_TOKEN>\n",
            status=403,
            content_type="text/plain",
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)
