from celery import shared_task

from api.idempotency import idempotent_answers_prune


@shared_task(name="api.prune_idempotent_answers", ignore_result=True, soft_time_limit=120, time_limit=180)
def prune_idempotent_answers() -> int:
    return idempotent_answers_prune()
