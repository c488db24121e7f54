"""Profile and language preference."""

from okpay.core.audit import audit_event_record

from ..models import User


def profile_update(*, user: User, full_name: str, phone: str, language: str, time_zone: str) -> User:
    changed = [
        f
        for f, v in (
            ("full_name", full_name),
            ("phone", phone),
            ("language", language),
            ("time_zone", time_zone),
        )
        if getattr(user, f) != v
    ]
    user.full_name, user.phone, user.language, user.time_zone = full_name, phone, language, time_zone
    user.save(update_fields=["full_name", "phone", "language", "time_zone"])
    if changed:
        audit_event_record(action="profile.updated", actor=user, data={"fields": changed})
    return user


def user_language_set(*, user: User, language: str) -> None:
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
