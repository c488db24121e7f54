"""Test settings: PostgreSQL + Redis when DATABASE_URL / REDIS_URL are set, SQLite otherwise."""

import os

from .base import *  # noqa: F403
from .base import CACHES, CHANNEL_LAYERS, DATABASES, REDIS_URL

DEBUG = False
DEMO_MODE = True
OKPAY_BOT_TRAIN_ON_DEMO = False  # the full training is a benchmark (bench/bot_eval.py), not a unit test
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; prod uses Argon2
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
TASKS = {
    "default": {
        "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
        "QUEUES": ["default", "training"],
    }
}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if "sqlite" in DATABASES["default"]["ENGINE"]:
    DATABASES["default"]["TEST"] = {"NAME": ""}  # in memory
if REDIS_URL:
    # keep test keys apart from a running instance's, and each pytest-xdist worker's from the others'
    _worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    CACHES["default"]["KEY_PREFIX"] = f"okpay-test{_worker}"
    if _worker:  # cache.clear() flushes a whole Redis database: one database per worker
        _base, _, _suffix = REDIS_URL.rpartition("/")
        _index = int(_suffix) if _suffix.isdigit() else 0
        CACHES["default"]["LOCATION"] = f"{_base}/{(_index - int(_worker.removeprefix('gw'))) % 16}"
    CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = f"okpay-test{_worker}"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "root": {"level": "WARNING"},
    "loggers": {"django.tasks": {"level": "WARNING"}, "django.request": {"level": "ERROR"}},
}
