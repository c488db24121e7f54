"""Idempotency for money-moving requests (forms: a hidden one-time token; API: the Idempotency-Key
header). Records are kept ≥ 24 h; validation failures are not stored."""

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import cast

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .errors import DomainError
from .models import IdempotencyRecord

STALE_IN_FLIGHT = timedelta(minutes=2)  # a request that died mid-way may be retried after this
MAX_KEY_LENGTH = 255


class IdempotencyError(DomainError):
    """A reused key with a different request, or one still in flight (409); a malformed key (400)."""

    def __init__(self, code: str, message):
        super().__init__(code, message, status=400 if code == "idempotency_key_invalid" else 409)


def request_hash(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def idempotent(
    *, user, key: str, scope: str, payload: dict, action: Callable[[], tuple[int, dict]]
) -> tuple[int, dict]:
    """Run `action` (which returns (status, body)) once per (user, key). The record and the action's
    writes commit together. Raises IdempotencyError for a reused key with a different request or a
    request still in flight; re-raises the action's exceptions (the reservation is dropped)."""
    if not key or len(key) > MAX_KEY_LENGTH:
        raise IdempotencyError(
            "idempotency_key_invalid", _("The idempotency key must be 1 to 255 characters.")
        )
    digest = request_hash({"scope": scope, **payload})
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(user=user, key=key, scope=scope, request_hash=digest)
    except IntegrityError:
        record = IdempotencyRecord.objects.get(user=user, key=key)
        if record.request_hash != digest:
            raise IdempotencyError(
                "idempotency_key_reused", _("This idempotency key was already used for a different request.")
            ) from None
        if record.state == IdempotencyRecord.DONE:  # stored together with the DONE state
            return cast(int, record.response_status), cast(dict, record.response_body)
        if timezone.now() - record.created_at < STALE_IN_FLIGHT:
            raise IdempotencyError(
                "request_in_flight", _("The same request is still being processed. Try again in a moment.")
            ) from None
        IdempotencyRecord.objects.filter(pk=record.pk).update(created_at=timezone.now())
    try:
        with transaction.atomic():
            status, body = action()
            # stored and returned in the same JSON form, so the first answer equals every replay
            body = json.loads(json.dumps(body, cls=DjangoJSONEncoder))
            IdempotencyRecord.objects.filter(pk=record.pk).update(
                state=IdempotencyRecord.DONE, response_status=status, response_body=body
            )
    except Exception as error:
        IdempotencyRecord.objects.filter(pk=record.pk, state=IdempotencyRecord.IN_FLIGHT).delete()
        raise error
    return status, body


def idempotency_prune(*, older_than: timedelta = timedelta(hours=48)) -> int:
    deleted, _rows = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted
