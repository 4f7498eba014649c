"""Publishing tasks: `dispatch_due_targets` (beat) finds due targets, `publish_target` takes one target's
next step (`publish_targets` a few of one channel's, in a burst). All are thin: the rules, and the claim
that makes a rerun harmless, live in the `posts.services` package."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from core import delivery
from core.queue import enqueue
from posts import services
from posts.models import PostTarget
from posts.services import metrics as metrics_service

log = logging.getLogger(__name__)


def enqueue_publish(target_ids: list[int]) -> None:
    """The targets' next step, once the current transaction commits: `publish_target` for one,
    `publish_targets` for a burst's chunk. One refused by the broker is handed out again when its lease
    runs out."""
    if len(target_ids) == 1:
        enqueue(publish_target, target_ids[0])
    else:
        enqueue(publish_targets, target_ids)


@shared_task(name="posts.dispatch_due_targets", ignore_result=True, soft_time_limit=30, time_limit=40)
def dispatch_due_targets() -> int:
    return len(services.targets_dispatch_due())


@shared_task(
    name="posts.publish_target",
    soft_time_limit=services.STEP_TIME_LIMIT - 20,
    time_limit=services.STEP_TIME_LIMIT,  # see services.PUBLISHING_STALE
    **delivery.STEP_TASK_OPTIONS,  # the claim (scheduled -> publishing) lets one run publish
)
def publish_target(target_id: int) -> None:
    services.target_process(target_id)


@shared_task(
    name="posts.publish_targets",
    ignore_result=True,
    # Up to services.PUBLISH_CHUNK publishes, each bounded by the HTTP timeouts (about a second each
    # normally). The chunk shares publish_target's limits, so no step outlives services.PUBLISHING_STALE;
    # when the soft limit strikes, the targets not started yet get their own tasks.
    soft_time_limit=services.STEP_TIME_LIMIT - 20,
    time_limit=services.STEP_TIME_LIMIT,
    acks_late=True,  # safe to run twice, as publish_target is
)
def publish_targets(target_ids: list[int]) -> None:
    """A burst's chunk: each target's next step in turn. A step that raises does not hold up the others;
    when time runs out, the targets not yet started get their own tasks."""
    cache = services.StepCache()  # one channel's targets: it is read, and its client built, once
    for position, target_id in enumerate(target_ids):
        try:
            services.target_process(target_id, cache=cache)
        except SoftTimeLimitExceeded:
            _retry_untouched(target_ids[position:])
            return
        except Exception:
            log.exception("publish step failed", extra={"target": target_id})
            _retry_untouched([target_id])


def _retry_untouched(target_ids: list[int]) -> None:
    """Targets never claimed go to their own task now; one a step touched (publishing, unknown...) is
    left to the dispatcher, which reads it back at its due time: never sooner, never twice."""
    for target_id in PostTarget.objects.filter(
        pk__in=target_ids, status=PostTarget.Status.SCHEDULED
    ).values_list("pk", flat=True):
        enqueue(publish_target, target_id)


@shared_task(name="posts.refresh_post_metrics", ignore_result=True, soft_time_limit=600, time_limit=660)
def refresh_post_metrics() -> int:
    return metrics_service.refresh_recent_metrics()
