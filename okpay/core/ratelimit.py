"""Fixed-window counters in the shared cache (Redis when scaled out). The numbers are policies, all
in one setting: `OKPAY_RATE_LIMITS = {policy: (hits, window_seconds)}` (config/settings/base.py,
docs/policies.md); code names the policy: `rate_limited("signup_per_ip", ip)`."""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
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
    cache_key = f"rl:{scope}:{digest}:{window}"
    cache.add(cache_key, 0, timeout=window_seconds + 5)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=window_seconds + 5)
        count = 1
    return count > limit
