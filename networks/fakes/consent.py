"""The consent page every fake serves at its network's authorisation URL, as the real ones do.

A GET shows who is signed in, the app and the permissions asked, with Allow and Cancel buttons; the form
posts back to the same path with the request's parameters, and the answer redirects the browser to the
app's redirect_uri, with a code (Allow) or with the network's own error parameters (Cancel). So a browser
journey goes through the network's page as a person does, and a refusal can be tried too. `approve()` is
what clicking Allow does, for tests without a browser.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

import httpx

from networks.fakes.base import Request, Response


@dataclass(frozen=True)
class ConsentWords:
    """What the network's page says, in the network's own style (English, like the real pages default)."""

    network: str
    allow: str
    #: Query parameters the network adds to redirect_uri when the person cancels (besides `state`).
    denied: Mapping[str, str]


def params_of(request: Request) -> dict[str, str]:
    """The authorisation request's parameters: the query string on GET, the consent form on POST."""
    if request.method == "POST":
        return request.form()
    return {name: values[0] for name, values in request.query.items()}


def page(request: Request, words: ConsentWords, *, account: str, scopes: list[str]) -> Response:
    params = params_of(request)
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in params.items()
        if k != "decision"
    )
    app = html.escape(params.get("client_id", ""))
    items = "".join(f"<li>{html.escape(scope)}</li>" for scope in scopes) or "<li>(none)</li>"
    # The empty icon keeps the browser from asking the fake for /favicon.ico (a 404 in the console).
    body = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<link rel="icon" href="data:,"><title>{words.network}: authorize an app</title></head>
<body>
<h1>{words.network}</h1>
<p>Signed in as <strong>{html.escape(account)}</strong>.</p>
<p>The app <code>{app}</code> asks to use your account with these permissions:</p>
<ul>{items}</ul>
<form method="post" action="{html.escape(request.path)}">{hidden}
<button type="submit" name="decision" value="allow">{words.allow}</button>
<button type="submit" name="decision" value="deny">Cancel</button>
</form>
</body></html>"""
    return Response(200, body, {"content-type": "text/html; charset=utf-8"})


def answer(request: Request, words: ConsentWords, issue_code: Callable[[dict[str, str]], str]) -> Response:
    """The consent form's answer: back to redirect_uri with a code, or with the network's refusal."""
    params = params_of(request)
    if params.get("decision") == "allow":
        back = {"code": issue_code(params), "state": params.get("state", "")}
    else:
        back = {**words.denied, "state": params.get("state", "")}
    redirect_uri = params.get("redirect_uri", "")
    separator = "&" if "?" in redirect_uri else "?"
    return Response(302, "", {"location": f"{redirect_uri}{separator}{urlencode(back)}"})


def approve(http: httpx.Client | None, url: str) -> httpx.Response:
    """Open the consent page at `url` and click Allow; returns the redirect back to the app (not followed)."""
    client = http or httpx.Client()
    try:
        shown = client.get(url, follow_redirects=False)
        if shown.status_code != 200:
            return shown  # the network refused the request itself (unknown app, missing PKCE...)
        parts = urlsplit(url)
        params = dict(httpx.URL(url).params)
        form = {**params, "decision": "allow"}
        return client.post(f"{parts.scheme}://{parts.netloc}{parts.path}", data=form, follow_redirects=False)
    finally:
        if http is None:
            client.close()
