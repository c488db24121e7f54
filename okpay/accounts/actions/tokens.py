"""Personal API tokens."""

import hashlib
import secrets

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from okpay.core.audit import audit_event_record

from ..choices import TokenScope
from ..models import ApiToken, User

TOKEN_PREFIX = "okp"


def api_token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_token_create(*, request: HttpRequest, name: str, scope: str) -> tuple[ApiToken, str]:
    """Returns the token row and the full token string, which is shown once and never stored."""
    if scope not in TokenScope.values:
        raise ValueError(scope)
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=request.user, name=name, prefix=prefix, secret_hash=api_token_hash(secret), scope=scope
    )
    audit_event_record(
        action="api_token.created",
        actor=request.user,
        request=request,
        data={"prefix": prefix, "scope": scope},
    )
    return token, f"{TOKEN_PREFIX}_{prefix}_{secret}"


def api_tokens_active_count(*, user: User) -> int:
    return ApiToken.objects.filter(user=user, revoked_at=None).count()


def api_tokens_revoke_all(*, request: HttpRequest, user: User, reason: str) -> int:
    """Revoke every active token of `user` (after a password reset, or a change when asked), one
    audit event per token. Returns how many were revoked."""
    now = timezone.now()
    with transaction.atomic():
        tokens = list(
            ApiToken.objects.select_for_update()
            .filter(user=user, revoked_at=None)
            .order_by("pk")
            .values_list("pk", "prefix")
        )
        ApiToken.objects.filter(pk__in=[pk for pk, _prefix in tokens]).update(revoked_at=now)
        for pk, prefix in tokens:
            audit_event_record(
                action="api_token.revoked",
                actor=request.user if request.user == user else None,
                subject_user=user,
                request=request,
                data={"id": pk, "prefix": prefix, "reason": reason},
            )
    return len(tokens)


def api_token_revoke(*, request: HttpRequest, token_id: int) -> bool:
    updated = ApiToken.objects.filter(user=request.user, pk=token_id, revoked_at=None).update(
        revoked_at=timezone.now()
    )
    if updated:
        audit_event_record(
            action="api_token.revoked", actor=request.user, request=request, data={"id": token_id}
        )
    return bool(updated)
