"""The embedded settings with Redis *pub/sub* channel layer, to compare against the default
(core, list-based) layer: ``bench/realtime_fanout.py --settings bench.fanout_pubsub_settings``."""

from fieldops.settings import *  # noqa: F403
from fieldops.settings import REDIS_URL

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL], "prefix": "bench-fanout"},
    }
}
