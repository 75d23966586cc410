"""The test override: fast hashing, eager tasks, and production mode without HTTPS redirects.

With DATABASE_URL/REDIS_URL set (as in CI) the suite runs on PostgreSQL and the Redis channel
layer; otherwise on SQLite and the in-memory layer.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdef")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SECURE_COOKIES", "0")
os.environ.setdefault("SECURE_HSTS_SECONDS", "0")

from fieldops.settings import *  # noqa: F403
from fieldops.settings import CHANNEL_LAYERS, DATABASES, REDIS_URL

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
WEBHOOKS_ALLOW_LOOPBACK = True
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if not REDIS_URL:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    DATABASES.pop("channels", None)
    DATABASE_ROUTERS: list[str] = []
else:
    CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = "fieldops-test"
DAY_PLAN_TIME_LIMIT = 1  # the machine is shared; test instances are tiny
