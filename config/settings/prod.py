"""Production: refuses unsafe settings at start-up."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DEFAULT_SECRET_KEY, SECRET_KEY, env_bool, env_int

DEBUG = False
DEMO_MODE = env_bool("OKPAY_DEMO_MODE", False)
if DEMO_MODE:
    raise ImproperlyConfigured("OKPAY_DEMO_MODE must be off in production settings.")
OKPAY_PAYOUT_PROVIDER = os.environ.get("OKPAY_PAYOUT_PROVIDER", "manual")  # sandbox: refused (okpay.E012)
if SECRET_KEY == DEFAULT_SECRET_KEY or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("Set OKPAY_SECRET_KEY to a random value of at least 50 characters.")

OKPAY_REQUIRE_STAFF_2FA = True
MAILERS = {
    "default": {
        "BACKEND": os.environ.get("OKPAY_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"),
        "OPTIONS": {
            "host": os.environ.get("OKPAY_EMAIL_HOST", "localhost"),
            "port": env_int("OKPAY_EMAIL_PORT", 587),
            "username": os.environ.get("OKPAY_EMAIL_USER", ""),
            "password": os.environ.get("OKPAY_EMAIL_PASSWORD", ""),
            "use_tls": env_bool("OKPAY_EMAIL_TLS", True),
            "timeout": 20,
        },
    }
}

SECURE_SSL_REDIRECT = env_bool("OKPAY_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("OKPAY_HSTS_SECONDS", 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
OKPAY_FX_ALLOW_STALE = env_bool("OKPAY_FX_ALLOW_STALE", False)
