"""Row locks that own a decision. Lock order everywhere: the customer first, then the business
object (quote, payment), then ledger accounts in primary-key order (`ledger._lock_accounts`)."""

from django.contrib.auth import get_user_model


def customer_lock(user) -> None:
    """Serialise every limit decision of one customer (rolling volumes, per-level limits, review
    thresholds): concurrent submissions of the same customer queue here, so each one's screening
    sees the transfers committed before it. A no-op beyond the transaction on SQLite (one writer)."""
    list(get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))
