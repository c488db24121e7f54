"""Sign-up and email verification."""

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from okpay.core.audit import audit_event_record
from okpay.core.mail import email_send

from .. import roles
from ..models import User
from ..tokens import email_verification_token_make, email_verification_token_read
from .common import normalize_email


def user_signup(*, email: str, password: str, full_name: str, language: str) -> User | None:
    """Create an unverified customer and mail a verification link. For an address that already has an
    account, mail that account a notice instead: the page the visitor sees is the same either way,
    and so is the time it takes: the password is hashed (the expensive part) before the lookup, on
    both paths, and each path renders one email."""
    email = normalize_email(email)
    password_hash = make_password(password)
    with transaction.atomic():
        existing = User.objects.filter(email__iexact=email).first()
        if existing is not None:
            audit_event_record(action="signup.existing_email", subject_user=existing)
            email_send(
                to=existing.email,
                template="accounts/email/signup_existing",
                context={
                    "user": existing,
                    "login_url": settings.SITE_URL + reverse("accounts:login"),
                    "reset_url": settings.SITE_URL + reverse("accounts:password_reset"),
                },
                language=existing.language,
                time_zone=existing.time_zone,
            )
            return None
        user = User.objects.create(
            email=email,
            password=password_hash,
            full_name=full_name,
            language=language,
            role=roles.SIGNUP_ROLE,
        )
        audit_event_record(action="signup.created", subject_user=user)
        verification_send(user=user)
    return user


def verification_send(*, user: User) -> None:
    token = email_verification_token_make(user)
    url = settings.SITE_URL + reverse("accounts:verify_email", kwargs={"token": token})
    email_send(
        to=user.email,
        template="accounts/email/verify",
        context={"user": user, "verify_url": url},
        language=user.language,
        time_zone=user.time_zone,
    )


def user_verify_email(*, token: str) -> User | None:
    data = email_verification_token_read(token)
    if data is None:
        return None
    user_id = data.get("u")
    if user_id is None:  # no account to look up (filtering on pk=None would find none either)
        return None
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id, is_active=True).first()
        if user is None or user.email != data.get("e"):
            return None
        if user.email_verified_at is None:
            user.email_verified_at = timezone.now()
            user.save(update_fields=["email_verified_at"])
            audit_event_record(action="signup.email_verified", subject_user=user)
    return user
