"""How Meta and LinkedIn sign what they push to our webhook URL, checked over the raw body in constant time.

Meta (https://developers.facebook.com/docs/graph-api/webhooks/getting-started#validate-payloads):
`X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw request body, keyed with the app secret>`; the
GET handshake sends `hub.mode=subscribe`, `hub.verify_token` and `hub.challenge`, answered with the
challenge as is.

LinkedIn (https://learn.microsoft.com/en-us/linkedin/shared/api-guide/webhook-validation): the GET
validation sends `challengeCode`, answered with JSON `{"challengeCode", "challengeResponse"}` where the
response is the hex HMAC-SHA256 of the code keyed with the client secret; deliveries carry `X-LI-Signature`,
the hex HMAC-SHA256 of `"hmacsha256=" + raw body`, keyed with the client secret (the header holds the digest
alone).
"""

from __future__ import annotations

import hashlib
import hmac

from networks.providers.webhooks_base import Verdict

META_PREFIX = "sha256="
LINKEDIN_SIGNED_PREFIX = b"hmacsha256="
MAX_CHALLENGE = 200


def _hex_hmac(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _same(expected: str, given: str) -> bool:
    # compare_digest over bytes: constant time whatever the inputs, and no error on non-ASCII input.
    return hmac.compare_digest(expected.encode(), given.strip().lower().encode("utf-8", "replace"))


def meta_signature(*, secret: str, body: bytes, header: str | None) -> Verdict:
    """The verdict on Meta's `X-Hub-Signature-256` header for `body`. Only the sha256 form counts: the
    legacy `X-Hub-Signature: sha1=` header, or a sha1 value in this one, is refused as forged."""
    if not header:
        return Verdict.MISSING
    algorithm, _sep, digest = header.strip().partition("=")
    if not secret or algorithm.lower() != META_PREFIX[:-1] or not digest:
        return Verdict.FORGED
    return Verdict.VALID if _same(_hex_hmac(secret, body), digest) else Verdict.FORGED


def meta_handshake(*, verify_token: str, mode: str, token: str, challenge: str) -> str | None:
    """The text to answer Meta's subscription handshake with, or None when it must be refused."""
    # Meta's challenges are short numbers; anything long is not Meta, and is not echoed back.
    if not verify_token or mode != "subscribe" or not challenge or len(challenge) > MAX_CHALLENGE:
        return None
    if not hmac.compare_digest(verify_token.encode(), token.encode("utf-8", "replace")):
        return None
    return challenge


def linkedin_signature(*, secret: str, body: bytes, header: str | None) -> Verdict:
    """The verdict on LinkedIn's `X-LI-Signature` header for `body`."""
    if not header:
        return Verdict.MISSING
    if not secret:
        return Verdict.FORGED
    return (
        Verdict.VALID if _same(_hex_hmac(secret, LINKEDIN_SIGNED_PREFIX + body), header) else Verdict.FORGED
    )


def linkedin_challenge_response(*, secret: str, challenge_code: str) -> str:
    return _hex_hmac(secret, challenge_code.encode())
