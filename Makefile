# CM Hub: the one entry point. `make run` to use it, `make test` to test it.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# Embedded default: SQLite, filesystem broker, demo data wired to the local network fakes.
RUN_ENV := DJANGO_DEBUG=1 CMHUB_DEMO=1 CMHUB_ALLOWED_API_HOSTS=127.0.0.1:8101,127.0.0.1:8102,127.0.0.1:8103,127.0.0.1:8104,127.0.0.1:8105,127.0.0.1:8107,127.0.0.1:8108,127.0.0.1:8109
# Bluesky's real-time posts: the demo's Jetstream fake.
RUN_ENV += CMHUB_BLUESKY_JETSTREAM_URL=ws://127.0.0.1:8106/subscribe
PROD_CHECK_ENV := SECRET_KEY=check-deploy-$$(head -c 32 /dev/urandom | base64 | tr -dc A-Za-z0-9) \
	CREDENTIAL_KEYS=$$($(PY) -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())') \
	ALLOWED_HOSTS=cmhub.example.com DJANGO_DEBUG=0 CMHUB_VAR_DIR=var/check

.PHONY: run test test-fast check lint format bench bench-ingest bench-backfill bench-pages bench-publish \
	bench-assistant bench-poll bench-soak messages clean venv venv-dev screenshots

$(PY):
	@py=$$(scripts/find-python) && echo "Using $$py" && "$$py" -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.dev: requirements-dev.txt requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@ $(VENV)/.runtime

venv: $(VENV)/.runtime
venv-dev: $(VENV)/.dev

locale/fr/LC_MESSAGES/django.mo: locale/fr/LC_MESSAGES/django.po | $(PY)
	@command -v msgfmt >/dev/null || { echo "msgfmt not found: install gettext (apt-get install gettext)"; exit 1; }
	$(PY) manage.py compilemessages --ignore=.venv --verbosity=0

run: venv locale/fr/LC_MESSAGES/django.mo
	$(RUN_ENV) $(PY) manage.py migrate --verbosity=0
	$(RUN_ENV) $(PY) manage.py seed_demo
	$(RUN_ENV) $(PY) manage.py seed_demo_channels
	$(RUN_ENV) $(PY) manage.py seed_demo_posts
	$(RUN_ENV) $(PY) manage.py load_demo_faq
	$(RUN_ENV) $(PY) manage.py seed_demo_history
	$(RUN_ENV) scripts/run

# One pytest-xdist worker per core (each with its own var dir and Redis databases: tests/xdist_worker.py).
test: venv-dev locale/fr/LC_MESSAGES/django.mo
	$(PY) -m pytest -n auto $(PYTEST_ARGS)

# The everyday loop: everything but the tests that start Celery workers or drive Chromium.
test-fast: venv-dev locale/fr/LC_MESSAGES/django.mo
	$(PY) -m pytest -n auto -m "not worker and not browser" $(PYTEST_ARGS)

# README screenshots (docs/screenshots/*.png, 1280x800), taken by the browser fixtures from seeded data.
screenshots: venv-dev locale/fr/LC_MESSAGES/django.mo
	CMHUB_SCREENSHOTS_DIR=docs/screenshots CMHUB_VAR_DIR=var/screenshots $(PY) -m pytest tests/e2e/take_screenshots.py -q -p no:randomly

lint: venv-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

check: lint
	$(VENV)/bin/mypy
	$(PY) manage.py makemigrations --check --dry-run
	$(PROD_CHECK_ENV) $(PY) manage.py check --deploy --fail-level WARNING

# Benchmarks run on PostgreSQL (the production database); the database named here is created if missing,
# filled and emptied. `make bench` runs every part but the soak (30 minutes: `make bench-soak` alone),
# `make bench-<part>` one (bench/run.py): each starts a run
# (var/bench/figures.jsonl emptied) and ends with the summary of what ran, printed and written to
# var/bench/results.json. A bench that fails does not stop the others; the run then exits non-zero.
# BENCH_SCALE (default 1) multiplies every bench's sizes: the targets hold at 1; 0.01 makes a smoke run.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/cmhub_bench
BENCH_BROKER_URL ?= redis://127.0.0.1:6379/14
BENCH_RUN := BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) BENCH_BROKER_URL=$(BENCH_BROKER_URL) CMHUB_VAR_DIR=var/bench \
	$(PY) -m bench.run

bench: venv-dev
	$(BENCH_RUN)

bench-ingest: venv-dev
	$(BENCH_RUN) ingest

# A big page's first connect: 1,000,000 comments imported, memory and the progress bar watched.
bench-backfill: venv-dev
	$(BENCH_RUN) backfill

# Inbox pages, the REST API's list, reports.
bench-pages: venv-dev
	$(BENCH_RUN) pages

# Scheduled publishing, webhooks to the inbox, outgoing webhooks (Celery workers on BENCH_BROKER_URL).
bench-publish: venv-dev
	$(BENCH_RUN) publish

bench-assistant: venv-dev
	$(BENCH_RUN) assistant

# Thousands of channels due every minute, two poll workers, fakes answering after 150 ms.
bench-poll: venv-dev
	$(BENCH_RUN) poll

# Not in `make bench`: the demo's pipeline and the web pages under steady load for BENCH_SOAK_SECONDS
# (default 1800); memory, queues and caches must stay flat. BENCH_SOAK_SECONDS=180 is a smoke run.
bench-soak: venv-dev
	$(BENCH_RUN) soak

messages: venv
	$(PY) manage.py makemessages -l fr --ignore=.venv --ignore=var --no-obsolete
	$(PY) manage.py makemessages -d djangojs -l fr --ignore=.venv --ignore=var --ignore=static/vendor --no-obsolete

clean:
	rm -rf var/test var/check var/celery .pytest_cache .mypy_cache
