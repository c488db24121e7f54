"""A guest's chat identity: a random key (32 bytes, URL-safe) in a signed, HttpOnly cookie. The key
is what `Conversation.guest_key` holds; whoever has the cookie is that guest. The HTTP side sets the
cookie (`guest_cookie_set`); the API and the websocket read it (`guest_key_from_cookie`)."""

import re
import secrets

from django.conf import settings
from django.core import signing

SALT = "okpay.chat.guest"
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


def guest_key_new() -> str:
    return secrets.token_urlsafe(32)


def guest_cookie_value(key: str) -> str:
    return signing.dumps(key, salt=SALT)


def guest_key_from_cookie(value: str | None) -> str:
    """The key in a valid cookie value, or "" (missing, tampered, expired or malformed)."""
    if not value:
        return ""
    try:
        key = signing.loads(value, salt=SALT, max_age=settings.OKPAY_CHAT_GUEST_COOKIE_MAX_AGE)
    except signing.BadSignature:
        return ""
    return key if isinstance(key, str) and KEY_PATTERN.match(key) else ""


def guest_key_from_cookies(cookies) -> str:
    return guest_key_from_cookie((cookies or {}).get(settings.OKPAY_CHAT_GUEST_COOKIE))


def guest_cookie_set(response, key: str, *, secure: bool = False) -> None:
    response.set_cookie(
        settings.OKPAY_CHAT_GUEST_COOKIE,
        guest_cookie_value(key),
        max_age=settings.OKPAY_CHAT_GUEST_COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=secure,
    )
