"""The bench's settings with an explicit Redis channel layer, to compare the two:
``bench/realtime_fanout.py --layer core`` (list-based, one copy per socket) against
``--layer pubsub`` (the production default since the fan-out measurements)."""

import os

from fieldops.settings import *  # noqa: F403
from fieldops.settings import REDIS_URL

_BACKENDS = {
    "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
    "core": "channels_redis.core.RedisChannelLayer",
}

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": _BACKENDS[os.environ.get("BENCH_LAYER", "pubsub")],
        "CONFIG": {"hosts": [REDIS_URL], "prefix": "bench-fanout"},
    }
}
