"""What a user may still send internationally, per verification level (rolling windows)."""

from datetime import timedelta

from django.utils import timezone

from .screening import _volume_eur, rules


def limits_remaining(*, user) -> dict:
    """EUR minor units: the level's limits and what is left of each window (None = no limit)."""
    level = rules()["levels"][str(user.verification_level)]
    now = timezone.now()
    day = _volume_eur(user, now - timedelta(hours=24))
    month = _volume_eur(user, now - timedelta(days=30))

    def left(limit, used):
        return None if limit is None else max(limit - used, 0)

    per_transfer = (
        level["per_transfer"]
        if level["international_max"] is None
        else min(level["per_transfer"], level["international_max"])
    )
    return {
        "level": user.verification_level,
        "international": level["international"],
        "per_transfer": per_transfer if level["international"] else 0,
        "day_limit": level["day"],
        "day_left": left(level["day"], day),
        "month_limit": level["month"],
        "month_left": left(level["month"], month),
    }
