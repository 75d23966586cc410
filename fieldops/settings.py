"""FieldOps settings, read from the environment.

With no variables set FieldOps runs in its *embedded default*: SQLite, a SQLite-backed channel
layer and a filesystem Celery broker, all under ``FIELDOPS_DATA_DIR`` (``./var``), so a real
Daphne, worker and beat run with no server installed. ``DATABASE_URL`` switches the database to
PostgreSQL; ``REDIS_URL`` switches the channel layer, Celery broker and cache to Redis.
"""

from pathlib import Path

import dj_database_url

from fieldops.env import embedded_secret_key, env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("FIELDOPS_DATA_DIR", str(BASE_DIR / "var"))).resolve()

DEBUG = env_bool("DEBUG", False)
DATABASE_URL = env_str("DATABASE_URL", "")
REDIS_URL = env_str("REDIS_URL", "")
EMBEDDED = not REDIS_URL
# Production is any deployment on a real database; the embedded default is for a first run.
PRODUCTION = bool(DATABASE_URL) and not DEBUG

SECRET_KEY = env_str("SECRET_KEY", "", required=PRODUCTION) or embedded_secret_key(DATA_DIR)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "django_htmx",
    "template_partials",
    # django-ninja's own app: /api/v1/docs then loads the Swagger UI files its wheel ships
    # (static/ninja/) instead of fetching them from a CDN, so the docs work without internet.
    "ninja",
    "fieldops.accounts",
    "fieldops.realtime",
    "fieldops.web",
    "assets",
    "workorders",
    "workorders.maintenance",
    "workorders.dispatch",
    "workorders.offline",
    "workorders.kpis",
    "integrations",
    "integrations.webhooks",
]
if EMBEDDED:
    INSTALLED_APPS.append("channels_lite")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # 413 for a body over REQUEST_MAX_BYTES before anything reads or spools it
    "fieldops.web.limits.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "fieldops.accounts.middleware.MembershipMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "fieldops.web.middleware.ApiErrorEnvelopeMiddleware",
    "fieldops.web.middleware.DomainErrorPageMiddleware",
]

ROOT_URLCONF = "fieldops.urls"
ASGI_APPLICATION = "fieldops.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "fieldops.accounts.context_processors.membership",
                "workorders.context_processors.office_counts",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------


def _reset_pooled_session(connection) -> None:
    # Only a session a durability block left changed: a RESET on every return was a round trip
    # per request.
    from fieldops.durability import session_needs_reset, session_was_reset

    if session_needs_reset(connection):
        connection.execute("RESET synchronous_commit")
        session_was_reset(connection)


if DATABASE_URL:
    # Daphne serves each request on a thread of its own, and a persistent connection per thread
    # ran PostgreSQL out of connections under load (bench/load.py): web processes borrow from a
    # bounded pool instead (fieldops/asgi.py sets the size). Celery workers keep one persistent
    # connection per process; a pool's threads would not survive the prefork.
    DATABASE_POOL_SIZE = env_int("DATABASE_POOL_SIZE", 0)
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=0 if DATABASE_POOL_SIZE else 60,
            # With the pool, each connection is checked as it is borrowed: one the server dropped
            # while it idled (a restart, a failover) is replaced before a request gets it.
            conn_health_checks=bool(DATABASE_POOL_SIZE),
        )
    }
    if DATABASE_POOL_SIZE:
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            # Not min = max: after a failover every pooled connection is dead, and the pool
            # checks them one by one with a growing back-off (1 s, 2 s, 4 s...), so ten dead
            # ones answered 503 for 20 s (tests/reliability/test_database_dropped.py).
            "min_size": 1,
            "max_size": DATABASE_POOL_SIZE,
            # Waiting longer than this for a free connection answers 503 with Retry-After.
            "timeout": env_int("DATABASE_POOL_TIMEOUT", 10),
            # Session settings a request changed (fieldops.durability) never reach the next one.
            "reset": _reset_pooled_session,
        }
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    _sqlite_options = {
        # WAL lets Daphne, the worker and beat read while one of them writes.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "fieldops.sqlite3",
            "OPTIONS": _sqlite_options,
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Channels (real time) -----------------------------------------------------------------------
if REDIS_URL:
    # Pub/sub, not the core (list) layer: a notice to a group is one PUBLISH, and each Daphne gets
    # it once for all its sockets. The core layer queues one copy per socket and each Daphne pops
    # them one round trip at a time (bench/realtime_fanout.py, 500 sockets, one update every
    # 500 ms: p95 349 vs 145 ms, and copies dropped over capacity). Delivery stays at-most-once
    # either way; fieldops/realtime/watchdog.py closes sockets when Redis goes, so pages reconnect
    # and catch up.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": env_str("CHANNELS_PREFIX", "fieldops")},
        }
    }
else:
    # Its own SQLite file, so the layer's polling never contends with domain writes.
    DATABASES["channels"] = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DATA_DIR / "channels.sqlite3",
        "OPTIONS": {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "timeout": 20,
        },
    }
    DATABASE_ROUTERS = ["channels_lite.router.ChannelsRouter"]
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_lite.layers.core.SQLiteChannelLayer",
            "CONFIG": {"database": "channels", "expiry": 60},
        }
    }

# --- Cache (throttling, idempotency keys) -------------------------------------------------------
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_PREFIX", "fieldops"),
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    }

# --- Celery -------------------------------------------------------------------------------------
CELERY_TIMEZONE = "UTC"
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 240)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 300)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The longest countdown FieldOps uses is a webhook retry 10 h out; the visibility timeout must be
# longer, or Redis redelivers the message to a second worker while the first still waits.
CELERY_LONGEST_COUNTDOWN = 10 * 3600
if REDIS_URL:
    CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_LONGEST_COUNTDOWN + 3600}
else:
    _broker_dir = DATA_DIR / "broker"
    for _sub in ("out", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        # fanout/pidbox bindings; kombu's default is ./control in the working directory
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    # PM: every 15 minutes, so a due date in any organisation's time zone opens soon after
    # local midnight (the pass is idempotent; a fixed number of queries to scan).
    "maintenance-generate-due": {
        "task": "workorders.maintenance.tasks.plans_generate_due_task",
        "schedule": float(env_int("PM_GENERATION_SECONDS", 15 * 60)),
    },
    # Condition rules run on each reading event; this catches readings whose event was lost.
    "maintenance-rules-backstop": {
        "task": "workorders.maintenance.tasks.rules_evaluate_stale_task",
        "schedule": 10 * 60.0,
    },
}

# --- Webhooks -----------------------------------------------------------------------------------
# Endpoint URLs resolving to loopback are refused in production (SSRF); development allows them.
WEBHOOKS_ALLOW_LOOPBACK = env_bool("WEBHOOKS_ALLOW_LOOPBACK", not PRODUCTION)
WEBHOOKS_TIMEOUT_SECONDS = env_int("WEBHOOKS_TIMEOUT_SECONDS", 10)

# --- Auth ---------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_FAILURES_PER_USER = env_int("LOGIN_FAILURES_PER_USER", 5)
LOGIN_FAILURES_PER_ADDRESS = env_int("LOGIN_FAILURES_PER_ADDRESS", 20)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 15 * 60)
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Internationalisation -----------------------------------------------------------------------
LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
# English only for now (no translation catalogue yet). Off, every date, number and label in a
# page skips the per-thread active-language lookup: 15 % of a web process's CPU under
# bench/load.py. Turn it on with the first translation.
USE_I18N = False
USE_TZ = True

# --- Static and media ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
WHITENOISE_USE_FINDERS = True
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(DATA_DIR / "media")))

# --- API ----------------------------------------------------------------------------------------
API_RATE_PER_MINUTE = env_int("API_RATE_PER_MINUTE", 600)
API_ANON_RATE_PER_MINUTE = env_int("API_ANON_RATE_PER_MINUTE", 60)
# Per-client allowance on the unified ERP endpoints (/api/v1/integrations/...): each call may
# reach an ERP, so it is tighter than the general API rate.
INTEGRATIONS_API_RATE_PER_MINUTE = env_int("INTEGRATIONS_API_RATE_PER_MINUTE", 120)

# --- Security (production) ----------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("SECURE_PROXY_SSL", False) else None
)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
if SESSION_COOKIE_SECURE:
    # __Host- cookies: HTTPS only, this exact host, path / — no subdomain can plant or read them.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# --- Logging ------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.channels.server": {"level": "WARNING"}},
}

# --- PWA ----------------------------------------------------------------------------------------
# Bumped with each release so the service worker drops caches of the previous one.
STATIC_VERSION = env_str("FIELDOPS_STATIC_VERSION", "0.1.0")

# --- Uploads ------------------------------------------------------------------------------------
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("REQUEST_MAX_BYTES", 15 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
QR_REQUESTS_PER_HOUR = env_int("QR_REQUESTS_PER_HOUR", 5)

# --- Day planning (workorders/dispatch/planning) -----------------------------------------------
# Seconds of solver search per plan; a routing engine for travel times (empty: straight line).
DAY_PLAN_TIME_LIMIT = env_int("DAY_PLAN_TIME_LIMIT", 10)
PLANNING_ROUTER_URL = env_str("PLANNING_ROUTER_URL", "")
PLANNING_ROUTER = env_str("PLANNING_ROUTER", "osrm")  # osrm or valhalla
