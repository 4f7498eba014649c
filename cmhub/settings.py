"""CM Hub settings: one module, driven by the environment.

Embedded default (nothing set): SQLite, a filesystem Celery broker and a file cache under var/, secrets
generated under var/ on first run. Production sets DATABASE_URL, REDIS_URL, SECRET_KEY, ALLOWED_HOSTS and
leaves DEBUG off; `manage.py check --deploy` then reports nothing.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _
from kombu import Queue

from cmhub.env import (
    EnvError,
    env_bool,
    env_int,
    env_ints_by_suffix,
    env_list,
    env_str,
    generated_secret,
    network_apps_from_env,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("CMHUB_VAR_DIR", str(BASE_DIR / "var"))).resolve()

DEBUG = env_bool("DJANGO_DEBUG", False)
# The demo seed (demo users with a known password) runs only where this is explicitly on.
CMHUB_DEMO = env_bool("CMHUB_DEMO", False)
# The demo app (seeders, demo feeds, the demo FAQ) is installed with the demo, or for the test suite, whose
# tests drive the demo world without wanting its seed to run; production never loads it.
CMHUB_DEMO_APP = env_bool("CMHUB_DEMO_APP", CMHUB_DEMO)

SECRET_KEY = env_str("SECRET_KEY") or generated_secret(
    VAR_DIR / "secret_key", lambda: secrets.token_urlsafe(64)
)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
# host[:port] an admin may point a network's API or OAuth URLs at besides the network's own (Django admin
# refuses anything else: a channel's token is sent there). The demo's fakes listen on loopback.
CMHUB_ALLOWED_API_HOSTS = [h.lower() for h in env_list("CMHUB_ALLOWED_API_HOSTS")]
# host[:port] outgoing webhook endpoints may use although they are private or loopback addresses, or plain
# http (a receiver on the operator's own network). Anything else must be https on a public address.
CMHUB_WEBHOOK_ALLOWED_HOSTS = [h.lower() for h in env_list("CMHUB_WEBHOOK_ALLOWED_HOSTS")]
# The deployment's own app on each network, when it is not set in Django admin (Network apps): client id and
# secret, and API and OAuth addresses when they are not the network's own (a self-hosted instance, a fake).
# CMHUB_<NETWORK>_CLIENT_ID (and _CLIENT_SECRET, _API_BASE_URL, _OAUTH_BASE_URL), for any network the
# registry knows: read by name, so a new network needs no line here.
CMHUB_NETWORK_APPS = network_apps_from_env()
# Where Bluesky's posts arrive in real time (a Jetstream /subscribe WebSocket); empty: Bluesky's own.
CMHUB_BLUESKY_JETSTREAM_URL = env_str("CMHUB_BLUESKY_JETSTREAM_URL", "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.postgres",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "core",
    "accounts",
    "networks",
    "inbox",
    "posts",
    "assistant",
    "notifications",
    "reports",
    "ops",
    "ninja",
    "api",
    "hooks",
    *(["demo"] if CMHUB_DEMO_APP else []),
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "ops.middleware.RequestLatencyMiddleware",  # first: times the whole stack
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "core.uploads.RequestSizeLimitMiddleware",  # before anything reads the body (CSRF does)
    "django.middleware.common.CommonMiddleware",
    "core.htmx.HtmxMiddleware",  # request.htmx, and Vary: HX-Request where a view asked
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserPreferencesMiddleware",
    "accounts.middleware.AuditContextMiddleware",  # after auth: the audit log reads the person
    "api.middleware.ApiMiddleware",  # inside the audit context: API tokens name who acts
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "cmhub.urls"
WSGI_APPLICATION = "cmhub.wsgi.application"
ASGI_APPLICATION = "cmhub.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.workspace_nav",
                "networks.context_processors.connection_banner",
                "core.htmx.context",  # htmx_fragment
            ],
        },
    }
]

# --- Data ---------------------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
# Web server and Celery workers write one SQLite file concurrently: WAL lets readers go on, IMMEDIATE
# transactions take the write lock up front (waiting up to `timeout`) instead of failing mid-transaction.
SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["ENGINE"] = "core.postgresql"  # Django's, with tsvector for bulk inserts
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # e.g. a test's worker process
        DATABASES["default"]["OPTIONS"] = {**SQLITE_OPTIONS, **DATABASES["default"].get("OPTIONS", {})}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "cmhub.sqlite3"),
            # A file, not memory: tests that start a real Celery worker process share the database with it.
            "TEST": {"NAME": str(VAR_DIR / "test-db.sqlite3")},
            "OPTIONS": SQLITE_OPTIONS,
        }
    }
# Behind PgBouncer in transaction pooling mode, each transaction may run on another PostgreSQL connection:
# nothing may outlive a transaction on the server. Server-side cursors (what QuerySet.iterator() opens outside
# a transaction) do, and so do prepared statements: psycopg's are off here, as Django leaves them, stated so
# that nobody re-enables them in OPTIONS unawares. Persistent connections (CONN_MAX_AGE) are PgBouncer's
# clients then, cheap to keep.
CMHUB_PGBOUNCER = env_bool("CMHUB_PGBOUNCER", False)
if CMHUB_PGBOUNCER:
    if DATABASES["default"]["ENGINE"] != "core.postgresql":
        raise EnvError("CMHUB_PGBOUNCER is for PostgreSQL: set DATABASE_URL to PgBouncer's address")
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    DATABASES["default"]["OPTIONS"] = {**DATABASES["default"].get("OPTIONS", {}), "prepare_threshold": None}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")


def redis_caches(url: str) -> dict:
    """Redis behind core.cache.FallbackCache: while Redis is unreachable, sign-in and its rate limits go on
    in each process's memory and presence shows nothing (core/cache.py says why). Short socket timeouts, so
    a Redis that hangs costs a request one second, not the OS's minutes."""
    return {
        "default": {
            "BACKEND": "core.cache.FallbackCache",
            "LOCATION": url,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "cmhub"),
            "OPTIONS": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "socket_connect_timeout": 1,
                "socket_timeout": 1,
            },
        }
    }


if REDIS_URL:
    CACHES = redis_caches(REDIS_URL)
else:
    # A cache shared by every process (web, worker): allauth's rate limits must hold across requests.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Accounts -----------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = env_str("ACCOUNT_EMAIL_VERIFICATION", "mandatory")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[CM Hub] "
# Invitation-only: a password reset (or code) asked for an address without an account mails nobody, and the
# page answers exactly as for a known one (allauth's enumeration prevention stays on).
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_PREVENT_ENUMERATION = True
# Failed password sign-ins (accounts/adapters.py says why it is keyed this way): "amount/period" each.
CMHUB_LOGIN_FAILED_LIMITS = {
    "address_account": "5/5m",  # one address, one account: a few guesses
    "address": "30/10m",  # one address, any accounts (an office behind one NAT shares it)
    "account": "20/15m",  # every address on one account: past this the account is slowed, never locked,
    "account_slowed": "1/5m",  # to one try per address per period
}
ACCOUNT_RATE_LIMITS = {
    # allauth's defaults, stated so a reader sees them. Password failures are counted by the adapter
    # (CMHUB_LOGIN_FAILED_LIMITS); "login_failed" is what allauth still applies to the second factor.
    "login_failed": "10/m/ip,5/5m/key",
    "login": "30/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "signup": "20/m/ip",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "CM Hub"

# Fernet keys for credentials at rest, newest first (see core/crypto.py). The embedded default makes one.
CREDENTIAL_KEYS = env_list("CREDENTIAL_KEYS") or [
    generated_secret(VAR_DIR / "credential_key", lambda: base64.urlsafe_b64encode(os.urandom(32)).decode())
]

AVATAR_MAX_BYTES = env_int("AVATAR_MAX_BYTES", 5 * 1024 * 1024)
# REST API requests per token per minute (api.limits).
CMHUB_API_RATE_LIMIT = env_int("CMHUB_API_RATE_LIMIT", 300)
POST_MEDIA_MAX_BYTES = 20 * 1024 * 1024  # an original image for the composer; renditions are made from it
# Uploads over 1 MB go to a temporary file as they arrive instead of sitting in a worker's memory, and the
# form fields besides files are held up to 2 MB. A request declaring more than the largest upload plus
# those fields is refused with 413 before its body is read (core.uploads).
FILE_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
REQUEST_MAX_BYTES = max(POST_MEDIA_MAX_BYTES, AVATAR_MAX_BYTES) + DATA_UPLOAD_MAX_MEMORY_SIZE
AVATAR_SIZE = 256
INVITATION_VALID_DAYS = 7

# --- Email --------------------------------------------------------------------------------------------
# Development prints emails on the console; production sends them through SMTP (EMAIL_HOST...).
EMAIL_BACKEND_PATH = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
MAILERS = {
    "default": {
        "BACKEND": EMAIL_BACKEND_PATH,
        "OPTIONS": {
            "host": env_str("EMAIL_HOST", "localhost"),
            "port": env_int("EMAIL_PORT", 25),
            "username": env_str("EMAIL_HOST_USER"),
            "password": env_str("EMAIL_HOST_PASSWORD"),
            "use_tls": env_bool("EMAIL_USE_TLS", False),
        }
        if EMAIL_BACKEND_PATH.endswith("smtp.EmailBackend")
        else {},
    }
}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "CM Hub <noreply@cmhub.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Internationalisation -----------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates and times are written the same way on every page: the formats per language are in cmhub/formats/,
# which of them each context uses in core/dates.py. The zone is activated per request (accounts.access).
FORMAT_MODULE_PATH = ["cmhub.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media ---------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
# Hashed, compressed names need `collectstatic`; development and tests serve files straight from the finders.
STATIC_MANIFEST = env_bool("CMHUB_STATIC_MANIFEST", not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST
if WHITENOISE_USE_FINDERS:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise looks here even when the finders serve

# --- Security -----------------------------------------------------------------------------------------
HTTPS = env_bool("CMHUB_HTTPS", not DEBUG)
if env_bool("CMHUB_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # The client's address for the rate limits: the one our proxies appended to X-Forwarded-For (counted
    # from the right), never what the client wrote before it. Without a proxy the header is ignored.
    # Left at 0 behind a proxy, every person would share the proxy's address and its limits.
    ALLAUTH_TRUSTED_PROXY_COUNT = env_int("CMHUB_TRUSTED_PROXY_COUNT", 1)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
# Preloading asks browsers to hard-code HTTPS for the domain and every subdomain, and takes months to undo:
# a deployment opts in knowingly. Off, check --deploy would warn (W021) on every run, so that one is silenced.
SECURE_HSTS_PRELOAD = HTTPS and env_bool("CMHUB_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # HTMX reads nothing from it: the token travels in hx-headers instead.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    # Avatars and media previews come from the networks' CDNs.
    "img-src": [CSP.SELF, "data:", "https:"],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# --- Celery -------------------------------------------------------------------------------------------
# One queue per kind of work, so each can get its own workers: polling never starves sending.
CELERY_TASK_QUEUES = tuple(
    Queue(name, routing_key=name) for name in ("default", "poll", "send", "publish", "assistant")
)
# The broker may live in its own Redis database: flushing the cache must never drop queued tasks.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
if CELERY_BROKER_URL:
    CELERY_RESULT_BACKEND = CELERY_BROKER_URL
    # A task not acknowledged within this time is redelivered: longer than any task's hard limit.
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {"visibility_timeout": 3600}
else:
    CELERY_BROKER_URL = "filesystem://"
    _broker_dir = VAR_DIR / "celery" / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = "file://" + str(VAR_DIR / "celery" / "results")
    for _name in ("broker", "processed", "results", "control"):
        (VAR_DIR / "celery" / _name).mkdir(parents=True, exist_ok=True)
CELERY_TASK_DEFAULT_QUEUE = "default"
# Which queue each task goes to, in one place (Celery 5.7 deprecates the per-task `queue` attribute).
# Glob patterns on the task names, which are `<app>.<action>`.
CELERY_TASK_ROUTES = {
    "core.*": {"queue": "default"},
    "accounts.*": {"queue": "default"},
    "networks.dispatch_polls": {"queue": "poll"},
    "networks.poll_channel": {"queue": "poll"},
    "networks.poll_channels": {"queue": "poll"},
    "networks.*": {"queue": "default"},
    "inbox.send_reply": {"queue": "send"},
    "inbox.dispatch_replies": {"queue": "send"},
    "inbox.moderate": {"queue": "send"},
    "inbox.dispatch_moderation": {"queue": "send"},
    # The clock on a light queue: a backlog of publishes must not delay the tick that enqueues the next ones.
    "posts.dispatch_due_targets": {"queue": "default"},
    "posts.*": {"queue": "publish"},
    "assistant.*": {"queue": "assistant"},
    "api.*": {"queue": "default"},
    # Outgoing webhooks: short requests (10 s at most) to the team's own tools.
    "hooks.*": {"queue": "default"},
}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
CELERY_TASK_ACKS_LATE = False
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celery" / "beat-schedule")
CELERY_TIMEZONE = "UTC"
# Workers log through the LOGGING config above (logfmt on stdout) like the web processes.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Celery's Django fix-up closes every database connection after every task unless this is set: a new
# PostgreSQL backend per publish cost more than the publish itself. cmhub/celery.py closes the broken or
# expired ones after each task instead, as Django does after each request.
CELERY_DB_REUSE_MAX = 100

# The Graph API version Facebook and Instagram calls pin (empty: the one CM Hub is tested with). The
# health page shows when Meta stops serving it.
CMHUB_GRAPH_API_VERSION = env_str("CMHUB_GRAPH_API_VERSION").strip()
# Polls in flight at once, per network: a backlog on one network never takes every worker. Each provider
# has its own default (`poll_concurrency`); CMHUB_POLL_CONCURRENCY_<NETWORK> overrides it.
CMHUB_POLL_CONCURRENCY = env_ints_by_suffix("CMHUB_POLL_CONCURRENCY_")
# YouTube's quota is the deployment's, not a channel's: units a day for the Google project (10,000 unless
# Google granted more), and how many of them polls leave for replies and moderation (a write costs 50:
# 1,000 units are 20 writes). The planner spreads the polls of every YouTube channel over the rest.
CMHUB_YOUTUBE_DAILY_QUOTA = env_int("CMHUB_YOUTUBE_DAILY_QUOTA", 10_000)
CMHUB_YOUTUBE_QUOTA_RESERVE = env_int("CMHUB_YOUTUBE_QUOTA_RESERVE", 1_000)
# Polls one worker process keeps in flight (threads of its poll pool): polls wait on the networks, so
# one process holds many; each thread keeps one database connection open.
# SQLite takes one writer at a time: the embedded default polls one channel after another.
CMHUB_POLL_THREADS = env_int(
    "CMHUB_POLL_THREADS", 1 if DATABASES["default"]["ENGINE"].endswith("sqlite3") else 16
)

# --- Optional language model (assistant drafts) ---------------------------------------------------------
# Any OpenAI-compatible endpoint (base URL ending in /v1 or equivalent). Off unless both the base URL and the
# model are set: then agents may ask for a reply draft, which only ever lands in the composer for a person.
CMHUB_LLM_BASE_URL = env_str("CMHUB_LLM_BASE_URL").strip().rstrip("/")
CMHUB_LLM_MODEL = env_str("CMHUB_LLM_MODEL").strip()
CMHUB_LLM_API_KEY = env_str("CMHUB_LLM_API_KEY").strip()
CMHUB_LLM_TIMEOUT = env_int("CMHUB_LLM_TIMEOUT", 30)  # seconds for the whole answer; the agent is waiting
# Domains a draft may link to besides the workspace's FAQ links (comma-separated; subdomains included).
CMHUB_LLM_ALLOWED_DOMAINS = env_list("CMHUB_LLM_ALLOWED_DOMAINS")

# --- Logging: one line per event on stdout, key=value pairs that grep and log shippers understand. -----
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"logfmt": {"()": "core.logging.LogfmtFormatter"}},
    "handlers": {
        "stdout": {"class": "logging.StreamHandler", "formatter": "logfmt", "stream": "ext://sys.stdout"}
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}

# --- Operator metrics (ops: /metrics) -----------------------------------------------------------------
# Scrapers prove themselves with this bearer token, or come from one of these networks (CIDRs). Neither
# set: /metrics answers 404 to everyone (nothing is exposed by default).
CMHUB_METRICS_TOKEN = env_str("CMHUB_METRICS_TOKEN").strip()
CMHUB_METRICS_ALLOW = env_list("CMHUB_METRICS_ALLOW")
# Behind a reverse proxy every request comes from the proxy: only then read the client from the last
# X-Forwarded-For entry (the one the proxy appended). Off by default: the header is the client's to forge.
CMHUB_METRICS_TRUST_X_FORWARDED_FOR = env_bool("CMHUB_METRICS_TRUST_X_FORWARDED_FOR", False)
# Polls, replies and webhooks are counted over this window at scrape time (seconds).
CMHUB_METRICS_WINDOW = env_int("CMHUB_METRICS_WINDOW", 900)
