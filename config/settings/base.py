"""Settings shared by every environment. Values come from environment variables with embedded
defaults, so `make run` works with nothing configured and an operator scales out by setting
`DATABASE_URL` / `REDIS_URL` (see docs/deploy.md)."""

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("OKPAY_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


DEFAULT_SECRET_KEY = "okpay-embedded-default-secret-key-not-for-production"
SECRET_KEY = os.environ.get("OKPAY_SECRET_KEY", DEFAULT_SECRET_KEY)
DEBUG = env_bool("OKPAY_DEBUG", False)
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("OKPAY_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h.strip()
]
SITE_URL = os.environ.get("OKPAY_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = [SITE_URL]

# Demo mode: demo accounts, demo outbox page, demo top-ups. Never in production.
DEMO_MODE = env_bool("OKPAY_DEMO_MODE", True)

INSTALLED_APPS = [
    "okpay.accounts.admin_site.OKPayAdminConfig",  # django.contrib.admin without its own sign-in
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "channels",
    "django_htmx",
    "ninja",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks_db",
    "okpay.core",
    "okpay.accounts",
    "okpay.helpcenter",
    "okpay.bot",
    "okpay.chat",
    "okpay.tickets",
    "okpay.wallet",
    "okpay.payouts",
    "okpay.disputes",
    "okpay.console",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "okpay.core.audit.AuditContextMiddleware",  # who/where for audit rows, so actions never take the request
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "okpay.accounts.middleware.UserPreferencesMiddleware",
    "okpay.accounts.middleware.StaffTwoFactorMiddleware",
    "okpay.accounts.middleware.SessionActivityMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # last, so its refusals get every header above: NUL, lone surrogates, oversized bodies → 4xx
    "okpay.core.middleware.InputGuardMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "okpay.core.context_processors.site",
                "okpay.core.context_processors.notices",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
(VAR_DIR / "static").mkdir(parents=True, exist_ok=True)
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "okpay.sqlite3"),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and channel layer ----------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    CHANNEL_LAYERS: dict[str, dict[str, Any]] = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "okpay"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Background tasks -----------------------------------------------------------------------
# Queues: "default" (mail, short jobs, periodic jobs) and "training" (the answer bot's training, minutes
# long), each with its own worker process so that mail never waits behind a training (docs/deploy.md).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "training"]}}
WORKER_HEARTBEAT_SECONDS = 10
WORKER_STALE_AFTER_SECONDS = 60

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["okpay.accounts.backends.EmailBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "okpay.accounts.validators.MaximumLengthValidator", "OPTIONS": {"max_length": 128}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Policy (docs/policies.md): reset link valid for 20 minutes; how many: OKPAY_RATE_LIMITS.
PASSWORD_RESET_TIMEOUT = env_int("OKPAY_PASSWORD_RESET_TIMEOUT", 20 * 60)
# Policy: 5 failures within 15 minutes lock the account for 15 minutes, doubling on each repeat.
OKPAY_LOCKOUT_FAILURES = 5
OKPAY_LOCKOUT_WINDOW = timedelta(minutes=15)
OKPAY_LOCKOUT_BASE = timedelta(minutes=15)
OKPAY_LOCKOUT_MAX = timedelta(hours=24)
# Policy: failure budgets beside the per-address lock. Within any 15 minutes, at most 30 failed
# sign-ins from one network (an IPv4 address or an IPv6 /64) and 1,000 site-wide; past a budget,
# sign-in (for any address) from that network, or from everywhere, is refused until it frees up.
OKPAY_LOGIN_FAILURE_WINDOW = timedelta(minutes=15)
OKPAY_LOGIN_FAILURES_PER_NETWORK = env_int("OKPAY_LOGIN_FAILURES_PER_NETWORK", 30)
OKPAY_LOGIN_FAILURES_GLOBAL = env_int("OKPAY_LOGIN_FAILURES_GLOBAL", 1000)
OKPAY_EMAIL_VERIFICATION_MAX_AGE = timedelta(days=3)
OKPAY_HELP_SEMANTIC = env_bool("OKPAY_HELP_SEMANTIC", True)
# permessage-deflate on websockets: off, because compressing each small chat frame cost more server
# CPU (and ≈ 45 KB per connection) than it saved (docs/decisions.md, bench/chat.py)
OKPAY_WS_COMPRESSION = env_bool("OKPAY_WS_COMPRESSION", False)
OKPAY_BOT_TRAIN_ON_DEMO = env_bool(
    "OKPAY_BOT_TRAIN_ON_DEMO", True
)  # `okpay demo` trains the bot if none is active
# Staff roles must pass TOTP when this is on (always on in production settings).
OKPAY_REQUIRE_STAFF_2FA = env_bool("OKPAY_REQUIRE_STAFF_2FA", False)
OTP_TOTP_ISSUER = "OKPay"

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False

# --- i18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["config.formats"]  # English dates in one unambiguous format
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Asia/Shanghai"
LANGUAGE_COOKIE_NAME = "okpay_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = VAR_DIR / "private"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "okpay.core.staticfiles.StaticFilesStorage"},
}

# --- Email ----------------------------------------------------------------------------------
MAILERS = {
    "default": {"BACKEND": os.environ.get("OKPAY_EMAIL_BACKEND", "okpay.core.mail.OutboxEmailBackend")}
}
DEFAULT_FROM_EMAIL = os.environ.get("OKPAY_FROM_EMAIL", "OKPay <no-reply@okpay.example>")
OKPAY_SUPPORT_EMAIL = os.environ.get("OKPAY_SUPPORT_EMAIL", "support@okpay.example")
# Email in (docs/mail.md): `okpay mail smtpd` takes mail for OKPAY_SUPPORT_EMAIL, its plus-addresses and
# these; replies are asked to go to support+Q-XXXXXXX@… unless OKPAY_SUPPORT_PLUS_ADDRESS is off.
OKPAY_INTAKE_ADDRESSES = [a for a in os.environ.get("OKPAY_INTAKE_ADDRESSES", "").split(",") if a.strip()]
OKPAY_SUPPORT_PLUS_ADDRESS = env_bool("OKPAY_SUPPORT_PLUS_ADDRESS", True)
OKPAY_SMTPD_HOST = os.environ.get("OKPAY_SMTPD_HOST", "127.0.0.1")
OKPAY_SMTPD_PORT = env_int("OKPAY_SMTPD_PORT", 2525)
OKPAY_MAIL_MAX_BYTES = env_int("OKPAY_MAIL_MAX_BYTES", 25 * 1024 * 1024)  # larger mail is refused (552)
OKPAY_IMAP = {
    "host": os.environ.get("OKPAY_IMAP_HOST", ""),  # empty: no IMAP polling
    "port": env_int("OKPAY_IMAP_PORT", 993),
    "user": os.environ.get("OKPAY_IMAP_USER", ""),
    "password": os.environ.get("OKPAY_IMAP_PASSWORD", ""),
    "folder": os.environ.get("OKPAY_IMAP_FOLDER", "INBOX"),
    "ssl": env_bool("OKPAY_IMAP_SSL", True),
}
OKPAY_IMAP_POLL_SECONDS = env_int("OKPAY_IMAP_POLL_SECONDS", 60)  # the worker's poll, when IMAP is set
# Policy: receipts for questions asked from an unconfirmed address (a visitor's, an email sender's)
# carry no visitor text, and only a few go to one address (OKPAY_RATE_LIMITS "receipt_per_address_*");
# beyond that the question is still created, without a receipt.
# Question attachments: at most 3 files of this size each; a request larger than 3 files plus this
# margin (text fields, multipart framing) is refused before its body is read.
OKPAY_TICKET_ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
OKPAY_UPLOAD_FORM_MARGIN_BYTES = 256 * 1024
# Round-robin auto-assignment (tickets.workflow.ticket_auto_assign): a new question without an assignee
# goes to the online agent of its group, speaking its language, whose last auto-assigned question is the
# oldest; an agent with OKPAY_TICKET_AUTO_ASSIGN_MAX_OPEN questions assigned (new, open, waiting for the
# customer) is skipped. Off: new questions wait in the shared queue.
OKPAY_TICKET_AUTO_ASSIGN = env_bool("OKPAY_TICKET_AUTO_ASSIGN", True)
OKPAY_TICKET_AUTO_ASSIGN_MAX_OPEN = env_int("OKPAY_TICKET_AUTO_ASSIGN_MAX_OPEN", 25)

# --- Rate limits ----------------------------------------------------------------------------
# Every "at most N per window" policy, in one place (docs/policies.md): policy → (N, window in seconds).
# Counted in the shared cache by okpay.core.ratelimit.rate_limited(policy, key) — except
# password_reset_per_account, which counts the reset emails in the audit log. Past a limit the
# visitor gets a translated 429 page (the API a 429 error). The sign-in failure budgets and the lockout
# are OKPAY_LOGIN_FAILURES_* and OKPAY_LOCKOUT_* above.
OKPAY_RATE_LIMITS = {
    "signup_per_ip": (20, 3600),  # sign-ups from one IP address
    "password_reset_per_ip": (10, 3600),  # reset requests from one IP address
    "password_reset_per_account": (3, 3600),  # reset emails to one account
    "question_per_customer": (20, 3600),  # questions (web and API) from one signed-in customer
    "question_per_guest_ip": (5, 3600),  # questions (web and API) from one visitor's IP address
    "question_email_per_sender": (10, 3600),  # emails that become questions, from one sender
    "receipt_per_address_hour": (3, 3600),  # receipts to one unconfirmed address
    "receipt_per_address_day": (10, 24 * 3600),
    "chat_message_per_conversation": (20, 10),  # chat messages in one conversation, per side
    "chat_frame_per_connection": (60, 10),  # websocket frames of any kind on one chat connection
    "chat_transcript_per_conversation": (3, 3600),  # "email me this transcript" for one chat
}

# --- Security headers -----------------------------------------------------------------------
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "media-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- API ------------------------------------------------------------------------------------
NINJA_PAGINATION_PER_PAGE = 50

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    # Request paths in log lines (django.request's 4xx warnings) lose password-reset tokens;
    # uvicorn's access log gets the same filter in `okpay serve`.
    "filters": {"redact_reset_tokens": {"()": "okpay.accounts.log_filters.ResetTokenRedactFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_reset_tokens"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("OKPAY_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Business calendars (okpay/core/business_calendar.py; docs/architecture.md "Business calendar") ---
# Business days and hours for arrival estimates, dispute deadlines and reply-time targets; the first entry
# is the default. rule "china": China's statutory holidays off and its make-up working days (调休) on
# (chinese-calendar, extended by okpay/core/data/business_days.json or the entry's "data_file"); a year
# without official data counts Monday–Friday. rule "weekdays": Monday–Friday, no holidays. "hours": the
# working hours of every business day, in "time_zone".
OKPAY_BUSINESS_CALENDARS = {
    "china": {"rule": "china", "time_zone": "Asia/Shanghai", "hours": ("09:00", "18:00")},
    "weekdays": {"rule": "weekdays", "time_zone": "Asia/Shanghai", "hours": ("09:00", "18:00")},
}
# Callbacks (okpay/tickets/phone.py, docs/phone.md): inside the phone channel's published hours, on this
# calendar's business days; slots of this length, at least LEAD minutes ahead, up to DAYS business days
# ahead; after a first no-answer, one retry RETRY minutes later (moved into the phone hours).
OKPAY_CALLBACK_CALENDAR = "china"
OKPAY_CALLBACK_SLOT_MINUTES = 30
OKPAY_CALLBACK_LEAD_MINUTES = 30
OKPAY_CALLBACK_DAYS = 3
OKPAY_CALLBACK_RETRY_MINUTES = 60

# --- Wallet policies (docs/policies.md) ------------------------------------------------------
from decimal import Decimal  # noqa: E402

OKPAY_WALLET_CURRENCIES = ("CNY", "USD", "EUR", "HKD")
OKPAY_MERCHANT_FEE_RATE = Decimal("0.006")
OKPAY_PAYMENT_MIN_MINOR = 100  # smallest payment or payment link: 1.00 (the merchant always receives > 0)
OKPAY_FX_MARKUP_PERCENT = Decimal("0.5")
OKPAY_FX_FEE_PERCENT = Decimal("0.25")
OKPAY_FX_FEE_FIXED_EUR_MINOR = 100  # EUR 1.00
OKPAY_FX_QUOTE_MINUTES = 30
OKPAY_FX_MAX_AGE_DAYS = env_int("OKPAY_FX_MAX_AGE_DAYS", 4)
OKPAY_FX_ALLOW_STALE = env_bool("OKPAY_FX_ALLOW_STALE", DEMO_MODE)
OKPAY_INTERNATIONAL_CANCEL_MINUTES = 30

# --- Live chat (docs/chat.md; the estimate's formula: docs/decisions.md) ----------------------
# A hand-off waits for a person only when one could take it within this many seconds (and within the
# chat channel's service hours); otherwise the conversation becomes a question (channel "chat").
OKPAY_CHAT_MAX_WAIT_SECONDS = env_int("OKPAY_CHAT_MAX_WAIT_SECONDS", 600)
# --- Payouts (docs/policies.md "Withdrawals") ---------------------------------------------------------
# A new payout destination takes large withdrawals only after this cooling-off period; a customer keeps
# at most this many destinations.
OKPAY_PAYOUT_COOLING_OFF = timedelta(hours=24)
OKPAY_PAYOUT_MAX_DESTINATIONS = 10
# Who pays withdrawals out (okpay/payouts/providers.py): "manual" (operators, from the console) or
# "sandbox" (settles by itself; demos and tests only — the production settings refuse it).
OKPAY_PAYOUT_PROVIDER = os.environ.get("OKPAY_PAYOUT_PROVIDER", "sandbox" if DEMO_MODE else "manual")
# The chat sweeps (okpay/chat/sweeps.py, every minute; docs/chat.md "Sweeps"): a waiting chat becomes a
# question after OKPAY_CHAT_MAX_WAIT_SECONDS or when the service hours end; a chat with a person that
# nobody wrote in for this long is ended; a chat left with the bot this long is closed quietly (0 = never).
OKPAY_CHAT_IDLE_CLOSE_SECONDS = env_int("OKPAY_CHAT_IDLE_CLOSE_SECONDS", 30 * 60)
OKPAY_CHAT_BOT_CLOSE_SECONDS = env_int("OKPAY_CHAT_BOT_CLOSE_SECONDS", 24 * 3600)
# Average handle time assumed until there are closed chats to measure it from, and how many recent
# closed chats (of the last 7 days, per group) the measured average uses.
OKPAY_CHAT_DEFAULT_HANDLE_SECONDS = 300
OKPAY_CHAT_HANDLE_TIME_SAMPLE = 50
# Message and websocket-frame rates: OKPAY_RATE_LIMITS "chat_message_per_conversation",
# "chat_frame_per_connection".
OKPAY_CHAT_MAX_CAPACITY = 10  # concurrent chats an agent may take
OKPAY_CHAT_ATTACHMENTS_PER_CONVERSATION = 10  # files in one chat (each under the questions' upload rules)
OKPAY_CHAT_TRANSCRIPT_LINK_DAYS = 7  # "email me this transcript" to an unconfirmed address: a link this long
# A guest's identity: a random key in a signed cookie (HttpOnly, SameSite=Lax), kept 30 days.
OKPAY_CHAT_GUEST_COOKIE = "okpay_chat_guest"
OKPAY_CHAT_GUEST_COOKIE_MAX_AGE = 30 * 24 * 3600
