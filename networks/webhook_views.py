"""The webhook URL of each network app: `GET` answers the network's verification handshake, `POST` takes
a delivery. Both answer fast and plainly; the work happens in a task (networks.webhooks)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from networks import webhooks
from networks.models import Network


@csrf_exempt  # the network cannot hold our CSRF token: the signature over the raw body is the proof
@require_http_methods(["GET", "POST"])
def network_webhook(request: HttpRequest, network: str) -> HttpResponse:
    if network not in webhooks.WEBHOOK_NETWORKS:
        raise Http404
    if request.method == "GET":
        return _handshake(request, network)
    try:
        declared = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        declared = webhooks.MAX_BODY_BYTES + 1
    if declared > webhooks.MAX_BODY_BYTES:
        return HttpResponse("Too large.\n", status=413, content_type="text/plain")
    receipt = webhooks.webhook_delivery_receive(network=network, body=request.body, headers=request.headers)
    words = "Refused.\n" if receipt.status >= 400 else ("Duplicate.\n" if receipt.refusal else "OK\n")
    return HttpResponse(words, status=receipt.status, content_type="text/plain")


def _handshake(request: HttpRequest, network: str) -> HttpResponse:
    if network == Network.LINKEDIN:
        answer = webhooks.webhook_handshake_linkedin(challenge_code=request.GET.get("challengeCode", ""))
        if answer is None:
            return HttpResponse("Refused.\n", status=403, content_type="text/plain")
        return JsonResponse(answer)
    challenge = webhooks.webhook_handshake_meta(
        network=network,
        mode=request.GET.get("hub.mode", ""),
        token=request.GET.get("hub.verify_token", ""),
        challenge=request.GET.get("hub.challenge", ""),
    )
    if challenge is None:
        return HttpResponse("Refused.\n", status=403, content_type="text/plain")
    # Meta compares the body with the challenge it sent: plain text, nothing around it.
    return HttpResponse(challenge, content_type="text/plain")
