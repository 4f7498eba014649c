"""Every mail CM Hub sends goes through `email_send`: queued once the current transaction commits, sent by
the `core.send_email` task, which retries when the mail server is unreachable. A mail server that is down,
slow or refusing can then never turn an action that succeeded (an invitation, an approval) into an error
page, nor lose the mail with it.

The subject is made one line here, whatever the caller put in it: a line break in a header is refused by
the mail library (it would be a header injection).
"""

from __future__ import annotations

from core.text import single_line


def email_send(
    *,
    subject: str,
    body: str,
    to: list[str],
    from_email: str | None = None,
    html: str | None = None,
    headers: dict[str, str] | None = None,
) -> None:
    from core.queue import enqueue
    from core.tasks import send_email

    payload = {
        "subject": single_line(str(subject)),
        "body": str(body),
        "to": [str(address) for address in to],
        "from_email": from_email,
        "html": html,
        "headers": dict(headers or {}),
    }

    enqueue(send_email, **payload)
