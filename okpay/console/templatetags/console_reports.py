"""Durations for people, in their language: "3 h 20 min", "2 d 4 h", "45 s" (the questions report)."""

from django import template
from django.utils.translation import gettext as _

register = template.Library()


def duration_text(seconds: float | int | None) -> str:
    """A duration rounded to its two largest units: seconds under a minute, minutes under an hour,
    hours and minutes under a day, then days and hours. None is "—"."""
    if seconds is None:
        return "—"
    total = max(0, round(seconds))
    if total < 60:
        return _("%(seconds)s s") % {"seconds": total}
    minutes = round(total / 60)
    if minutes < 60:
        return _("%(minutes)s min") % {"minutes": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        if not minutes:
            return _("%(hours)s h") % {"hours": hours}
        return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes}
    days, hours = divmod(round(total / 3600), 24)
    if not hours:
        return _("%(days)s d") % {"days": days}
    return _("%(days)s d %(hours)s h") % {"days": days, "hours": hours}


@register.filter
def duration(seconds) -> str:
    return duration_text(seconds)
