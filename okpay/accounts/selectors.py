from django.db.models import QuerySet

from okpay.core.models import AuditEvent

from .models import ApiToken, User, UserSession


def user_sessions_list(*, user: User) -> QuerySet[UserSession]:
    return UserSession.objects.filter(user=user).order_by("-last_seen_at")


def api_tokens_list(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at")


def security_events_list(*, user: User, limit: int = 20) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(subject_user=user).order_by("-created_at")[:limit]


def user_by_email(*, email: str) -> User | None:
    return User.objects.filter(email__iexact=(email or "").strip(), is_active=True).first()
