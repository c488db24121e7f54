"""Embedded default: one machine, zero services (SQLite, in-memory channel layer, local cache)."""

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("OKPAY_DEBUG", True)
