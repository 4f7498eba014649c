"""Operator metrics: /metrics in the Prometheus text format, for alerting on polling, sending and queues.

Above inbox, posts and assistant in the dependency direction, beside reports: it reads their state."""
