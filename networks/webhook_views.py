"""The webhook URL of each network app: `GET` answers the network's verification handshake, `POST` takes
a delivery. Both answer fast and plainly; the work happens in a task (networks.webhooks)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from networks import webhooks


@csrf_exempt  # the network cannot hold our CSRF token: the signature over the raw body is the proof
@require_http_methods(["GET", "POST"])
def network_webhook(request: HttpRequest, network: str) -> HttpResponse:
    if webhooks.receiver(network) is None:
        raise Http404
    if request.method == "GET":
        answer = webhooks.webhook_handshake(network=network, query=request.GET)
        return HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)
    try:
        declared = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        declared = webhooks.MAX_BODY_BYTES + 1
    if declared > webhooks.MAX_BODY_BYTES:
        return HttpResponse("Too large.\n", status=413, content_type="text/plain")
    receipt = webhooks.webhook_delivery_receive(network=network, body=request.body, headers=request.headers)
    words = "Refused.\n" if receipt.status >= 400 else ("Duplicate.\n" if receipt.refusal else "OK\n")
    return HttpResponse(words, status=receipt.status, content_type="text/plain")
