"""Personal API tokens."""

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from okpay.core.audit import audit_event_record
from okpay.core.errors import DomainError

from ..choices import TokenScope
from ..models import ApiToken, User

TOKEN_PREFIX = "okp"


def api_token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_token_create(*, user: User, name: str, scope: str) -> tuple[ApiToken, str]:
    """Returns the token row and the full token string, which is shown once and never stored."""
    if scope not in TokenScope.values:
        raise DomainError("invalid_scope", status=422)  # the form and the API offer only valid ones
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=prefix, secret_hash=api_token_hash(secret), scope=scope
    )
    audit_event_record(action="api_token.created", actor=user, data={"prefix": prefix, "scope": scope})
    return token, f"{TOKEN_PREFIX}_{prefix}_{secret}"


def api_tokens_active_count(*, user: User) -> int:
    return ApiToken.objects.filter(user=user, revoked_at=None).count()


def api_tokens_revoke_all(*, user: User, reason: str, actor: User | None = None) -> int:
    """Revoke every active token of `user` (after a password reset, or a change when asked), one
    audit event per token; `actor` is who asked (None after a reset by email link). Returns how
    many were revoked."""
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
                actor=actor,
                subject_user=user,
                data={"id": pk, "prefix": prefix, "reason": reason},
            )
    return len(tokens)


def api_token_revoke(*, user: User, token_id: int) -> bool:
    """Revoke one of `user`'s own tokens; False when it is not theirs, unknown or already revoked."""
    updated = ApiToken.objects.filter(user=user, pk=token_id, revoked_at=None).update(
        revoked_at=timezone.now()
    )
    if updated:
        audit_event_record(action="api_token.revoked", actor=user, data={"id": token_id})
    return bool(updated)
