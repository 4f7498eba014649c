"""Under pytest-xdist, each worker process gets its own var dir (SQLite files, file cache, filesystem broker,
media) and its own Redis databases, so two workers never share a cache key, a queue or a file.

Loaded with `-p tests.xdist_worker` (pyproject's addopts): a plugin is imported before pytest-env and
pytest-django read the environment, and xdist names the worker (PYTEST_XDIST_WORKER) before that."""

from __future__ import annotations

import os
import re

worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1"...; empty outside xdist
if worker:
    index = int(worker.removeprefix("gw") or 0)
    os.environ["CMHUB_VAR_DIR"] = f"{os.environ.get('CMHUB_VAR_DIR', 'var/test')}/{worker}"
    # CI gives the suite two consecutive Redis databases (cache, broker): worker n takes the pair 2n above.
    for name in ("REDIS_URL", "CELERY_BROKER_URL"):
        url = os.environ.get(name, "")
        if re.search(r"/\d+$", url):
            os.environ[name] = re.sub(r"/(\d+)$", lambda m: f"/{int(m.group(1)) + 2 * index}", url)
