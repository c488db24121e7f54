from django.db.models import QuerySet

from .models import AuditEvent


def audit_events_list(*, limit: int = 50) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.select_related("actor", "subject_user").order_by("-created_at", "-id")[:limit]
