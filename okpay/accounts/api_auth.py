"""Personal API tokens as ninja authentication: `Authorization: Bearer okp_<prefix>_<secret>`."""

import hmac
from datetime import timedelta

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from okpay.core.api import ApiError


class TokenAuth(HttpBearer):
    """`Authorization: Bearer okp_<prefix>_<secret>`. Read-scoped tokens may only read."""

    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str):
        from .actions import api_token_hash
        from .models import ApiToken

        parts = token.split("_", 2)
        if len(parts) != 3 or parts[0] != "okp":
            return None
        api_token = ApiToken.objects.select_related("user").filter(prefix=parts[1], revoked_at=None).first()
        if api_token is None or not hmac.compare_digest(api_token.secret_hash, api_token_hash(parts[2])):
            return None
        if not api_token.user.is_active:
            return None
        if request.method not in ("GET", "HEAD", "OPTIONS") and api_token.scope != "write":
            raise ApiError(403, "insufficient_scope", _("This token is read-only."))
        now = timezone.now()
        if api_token.last_used_at is None or now - api_token.last_used_at > timedelta(minutes=1):
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        request.user = api_token.user
        request.api_token = api_token  # type: ignore[attr-defined]  # ours, beside request.user
        return api_token.user
