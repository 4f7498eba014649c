"""Every allowed move of a post and of a target, in one place. Services ask `check_*` before writing;
anything not listed raises IllegalTransition."""

from __future__ import annotations

from django.utils.translation import gettext as _

from core.errors import UserError
from posts.models import Post, PostTarget

P = Post.Status
T = PostTarget.Status


class IllegalTransition(UserError):
    """A move the state machine does not allow, said in plain words."""


POST_TRANSITIONS: dict[str, frozenset[str]] = {
    P.DRAFT: frozenset({P.IN_REVIEW, P.CANCELLED}),
    P.IN_REVIEW: frozenset({P.APPROVED, P.CHANGES_REQUESTED, P.DRAFT, P.CANCELLED}),
    P.CHANGES_REQUESTED: frozenset({P.DRAFT, P.IN_REVIEW, P.CANCELLED}),
    P.APPROVED: frozenset({P.SCHEDULED, P.IN_REVIEW, P.CANCELLED}),
    # scheduled -> in_review: an edit or a reschedule with new content drops the approval.
    P.SCHEDULED: frozenset({P.PUBLISHING, P.IN_REVIEW, P.SCHEDULED, P.CANCELLED}),
    P.PUBLISHING: frozenset({P.PUBLISHED, P.PARTIALLY_PUBLISHED, P.FAILED}),
    # A retried target puts the post back to publishing.
    P.PARTIALLY_PUBLISHED: frozenset({P.PUBLISHING, P.PUBLISHED}),
    P.FAILED: frozenset({P.PUBLISHING}),
    P.PUBLISHED: frozenset(),
    P.CANCELLED: frozenset(),
}

TARGET_TRANSITIONS: dict[str, frozenset[str]] = {
    T.PENDING: frozenset({T.SCHEDULED, T.CANCELLED}),
    T.SCHEDULED: frozenset({T.PUBLISHING, T.PENDING, T.MISSED, T.CANCELLED}),
    T.PUBLISHING: frozenset({T.PUBLISHED, T.SCHEDULED, T.FAILED, T.UNKNOWN}),
    T.UNKNOWN: frozenset({T.PUBLISHED, T.SCHEDULED, T.FAILED, T.UNKNOWN}),
    T.FAILED: frozenset({T.SCHEDULED}),
    T.MISSED: frozenset(),  # too late to publish: duplicate the post to publish it again
    T.PUBLISHED: frozenset(),
    T.CANCELLED: frozenset(),
}

#: Posts whose content may be edited (approved/scheduled ones go back to review).
EDITABLE = frozenset({P.DRAFT, P.IN_REVIEW, P.CHANGES_REQUESTED, P.APPROVED, P.SCHEDULED})


def _check(table: dict[str, frozenset[str]], kind: str, current: str, new: str) -> None:
    if new not in table.get(current, frozenset()):
        raise IllegalTransition(
            _("A %(kind)s cannot go from “%(current)s” to “%(new)s”.")
            % {"kind": kind, "current": current, "new": new}
        )


def check_post(current: str, new: str) -> None:
    _check(POST_TRANSITIONS, _("post"), current, new)


def check_target(current: str, new: str) -> None:
    _check(TARGET_TRANSITIONS, _("target"), current, new)


def post_status_from_targets(statuses: list[str]) -> str | None:
    """What the targets say about the post once none is left in flight; None while some still are."""
    live = [s for s in statuses if s != T.CANCELLED]
    if not live or any(s in (T.PENDING, T.SCHEDULED, T.PUBLISHING, T.UNKNOWN) for s in live):
        return None
    published = sum(s == T.PUBLISHED for s in live)
    if published == len(live):
        return P.PUBLISHED
    return P.PARTIALLY_PUBLISHED if published else P.FAILED
