"""Fixed-window counters in the shared cache (Redis when scaled out). The numbers are policies, all
in one setting: `OKPAY_RATE_LIMITS = {policy: (hits, window_seconds)}` (config/settings/base.py,
docs/policies.md); code names the policy: `rate_limited("signup_per_ip", ip)`."""

import hashlib
import time

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured


def rate_limit_policy(policy: str) -> tuple[int, int]:
    """(hits, window in seconds) of a policy in OKPAY_RATE_LIMITS."""
    try:
        limit, window_seconds = settings.OKPAY_RATE_LIMITS[policy]
    except (KeyError, TypeError, ValueError) as error:
        raise ImproperlyConfigured(f"OKPAY_RATE_LIMITS has no (hits, seconds) for {policy!r}") from error
    return int(limit), int(window_seconds)


def rate_limited(policy: str, key: str) -> bool:
    """Count one hit for `key` under `policy`; True once its window already holds the policy's hits."""
    limit, window_seconds = rate_limit_policy(policy)
    return rate_limit_exceeded(scope=policy, key=key, limit=limit, window_seconds=window_seconds)


def rate_limit_exceeded(*, scope: str, key: str, limit: int, window_seconds: int) -> bool:
    """Count one hit for (scope, key); True once the window already holds `limit` hits."""
    window = int(time.time() // window_seconds)
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return _hit(f"rl:{scope}:{digest}:{window}", window_seconds + 5) > limit


def _hit(cache_key: str, timeout: int) -> int:
    """The window's count after this hit. On Redis one round trip (SET NX + INCR in one MULTI): the
    cache API's add + incr were three (Django's incr asks EXISTS first) — measured on every chat
    message by bench/chat.py."""
    backend = caches[DEFAULT_CACHE_ALIAS]
    if isinstance(backend, RedisCache):
        redis_key = backend.make_and_validate_key(cache_key)
        pipe = backend._cache.get_client(redis_key, write=True).pipeline(transaction=True)
        pipe.set(redis_key, 0, ex=timeout, nx=True)
        pipe.incr(redis_key)
        return int(pipe.execute()[1])
    cache.add(cache_key, 0, timeout=timeout)
    try:
        return cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=timeout)
        return 1
