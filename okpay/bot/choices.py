"""The answer bot's choices: the state of an agent's correction of a turn (`BotTurn.correction_status`,
empty while nobody has proposed one)."""

from django.db import models
from django.utils.translation import pgettext_lazy


class CorrectionStatus(models.TextChoices):
    PROPOSED = "proposed", pgettext_lazy("bot correction", "Proposed")
    ACCEPTED = "accepted", pgettext_lazy("bot correction", "Accepted")
    REJECTED = "rejected", pgettext_lazy("bot correction", "Rejected")


def correction_status_label(value: str | None) -> str:
    """What people read for a correction's state; "" for none (an unknown value reads as itself)."""
    if not value:
        return ""
    try:
        return str(CorrectionStatus(value).label)
    except ValueError:
        return str(value)
