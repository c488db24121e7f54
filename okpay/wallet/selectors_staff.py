"""Reads for the console: staff see customers' wallet data read-only."""

from django.db.models import Q, QuerySet

from okpay.accounts import roles
from okpay.accounts.models import User

from .choices import TransferStatus
from .models import InternationalTransfer, Transaction


def customers_search(*, query: str, limit: int = 25) -> QuerySet[User]:
    users = User.objects.filter(role__in=roles.WALLET_HOLDER_ROLES).order_by("email")
    query = query.strip()[:100]
    if query:
        users = users.filter(
            Q(email__icontains=query) | Q(full_name__icontains=query) | Q(phone__icontains=query)
        )
    return users[:limit]


def customer_for_staff(*, customer_id: int) -> User | None:
    return User.objects.filter(pk=customer_id, role__in=roles.WALLET_HOLDER_ROLES).first()


def recent_transactions(*, user, limit: int = 20) -> QuerySet[Transaction]:
    return Transaction.objects.filter(user=user).order_by("-created_at", "-id")[:limit]


def international_for_user(*, user, limit: int = 10) -> QuerySet[InternationalTransfer]:
    return (
        InternationalTransfer.objects.filter(user=user)
        .select_related("quote")
        .order_by("-created_at")[:limit]
    )


def review_queue() -> QuerySet[InternationalTransfer]:
    return (
        InternationalTransfer.objects.filter(status=TransferStatus.UNDER_REVIEW)
        .select_related("user", "quote")
        .order_by("review_deadline", "pk")
    )


def review_item(*, transfer_id: int) -> InternationalTransfer | None:
    return (
        InternationalTransfer.objects.select_related("user", "quote", "quote__rate_set", "reviewed_by")
        .filter(pk=transfer_id)
        .first()
    )
