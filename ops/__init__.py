"""Operator metrics: /metrics in the Prometheus text format, for alerting on polling, sending and queues.

Above inbox, posts and assistant in the dependency direction, beside reports: it reads their state.

Where each figure comes from (decided so that web and worker processes never disagree):

- From the database, at scrape time (``ops.metrics.StateCollector``): everything about polls, replies,
  publishes, ambiguous outcomes, webhook deliveries and poll lag. These are recorded as rows by whichever
  process did the work (a PollRun by the poll worker, a Message's send_status by the send worker, a
  WebhookDelivery by the web process), so one query reads the truth across every process, survives
  restarts, and needs no shared counter files. They are gauges over a recent window
  (settings.CMHUB_METRICS_WINDOW, 15 minutes by default) or of current state, not ever-growing counters:
  a database total would need a full count on every scrape, and alerts want "in the last N minutes" anyway.
- From the broker, at scrape time: queue depth and the age of the oldest message per Celery queue (Redis:
  LLEN and the tail message's publish time, stamped by ``ops.signals`` at publish; the embedded
  filesystem broker: its message files).
- Process counters (prometheus-client): request latency only, which exists nowhere but in the process that
  served the request. Under gunicorn with several workers set PROMETHEUS_MULTIPROC_DIR (an empty
  directory, wiped at start) and every worker's histogram is merged at scrape time.
"""
