"""In-app notices: what an app tells a person besides email (the header's bell, /notices/).
`notice_send` renders the title and body in the recipient's language and time zone, as `email_send`
does, so a notice reads the same whenever it is opened."""

import zoneinfo

from django.db.models import QuerySet
from django.utils import timezone, translation

from .models import Notice

KEPT_PER_USER = 200  # older notices are pruned when a new one arrives


def notice_send(*, user, title, body="", url: str = "") -> Notice:
    """`title` and `body` are lazy translations (or callables of no arguments returning text),
    evaluated in the user's language and time zone."""
    zone = zoneinfo.ZoneInfo(user.time_zone) if getattr(user, "time_zone", "") else None
    with translation.override(user.language), timezone.override(zone):
        title_text = str(title() if callable(title) else title)
        body_text = str(body() if callable(body) else body)
    notice = Notice.objects.create(user=user, title=title_text[:200], body=body_text, url=url[:300])
    stale = Notice.objects.filter(user=user).values_list("pk", flat=True)[KEPT_PER_USER:]
    Notice.objects.filter(pk__in=list(stale)).delete()
    return notice


def notices_for(user) -> QuerySet[Notice]:
    return Notice.objects.filter(user=user)


def notices_unread_count(user) -> int:
    return Notice.objects.filter(user=user, read_at__isnull=True).count()


def notices_mark_read(user) -> int:
    return Notice.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
