"""Permission-scoped reads of the wallet. Another user's object answers "not found"."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from okpay.accounts import roles

from .ledger import wallet_account
from .models import LedgerAccount, Payment, Transaction


def balances_for(*, user) -> list[LedgerAccount]:
    return list(
        LedgerAccount.objects.filter(owner=user, code__startswith=f"user:{user.pk}:wallet:").order_by(
            "currency"
        )
    )


def transaction_for_user(*, user, transaction_id: int) -> Transaction | None:
    return Transaction.objects.filter(user=user, pk=transaction_id).select_related("entry").first()


def transactions_for_user(
    *,
    user,
    kind: str = "",
    status: str = "",
    currency: str = "",
    date_from=None,
    date_to=None,
    before: tuple[datetime, int] | None = None,
    limit: int = 25,
) -> list[Transaction]:
    """Newest first; keyset pagination: `before` = (created_at, id) of the last row already shown."""
    rows = Transaction.objects.filter(user=user)
    if kind:
        rows = rows.filter(kind=kind)
    if status:
        rows = rows.filter(status=status)
    if currency:
        rows = rows.filter(currency=currency)
    if date_from:
        rows = rows.filter(created_at__date__gte=date_from)
    if date_to:
        rows = rows.filter(created_at__date__lte=date_to)
    if before:
        created_at, pk = before
        # the bound on created_at alone first, so the database walks the (user, created_at) index
        # from there; the OR then only breaks ties (measured: 16 ms → 0.04 ms at the deep page)
        rows = rows.filter(created_at__lte=created_at).filter(
            Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=pk)
        )
    return list(rows.order_by("-created_at", "-id")[:limit])


def payment_for_merchant(*, merchant, payment_id: int) -> Payment | None:
    return Payment.objects.filter(merchant=merchant, pk=payment_id).select_related("customer").first()


def payment_id_of(row: Transaction) -> int | None:
    """The payment a history row is about (its reference is `payment:<id>`), or None."""
    kind, _sep, value = row.reference.partition(":")
    return int(value) if kind == "payment" and value.isascii() and value.isdigit() else None


def payment_for_transaction(*, row: Transaction) -> Payment | None:
    payment_id = payment_id_of(row)
    if payment_id is not None:
        return Payment.objects.filter(pk=payment_id).select_related("merchant", "customer").first()
    return None


def merchants() -> QuerySet:
    from okpay.accounts.models import User

    return User.objects.filter(role__in=roles.MERCHANT_ROLES, is_active=True).order_by("full_name", "email")


def available_balance(*, user, currency: str) -> int:
    return wallet_account(user, currency).available_balance


# --- My Account and merchant pages ---------------------------------------------------------------


def payment_transaction_for_customer(*, payment: Payment) -> Transaction:
    """The customer's history row of a payment (the receipt page)."""
    from .choices import TransactionKind

    return Transaction.objects.get(
        user_id=payment.customer_id, kind=TransactionKind.PAYMENT, entry_id=payment.entry_id
    )


def payments_for_merchant(*, merchant, limit: int = 50) -> list[Payment]:
    return list(
        Payment.objects.filter(merchant=merchant)
        .select_related("customer")
        .order_by("-created_at", "-id")[:limit]
    )


def merchant_fee_totals(*, merchant) -> list[Mapping[str, Any]]:
    """Per currency: number of payments, amount received, fees, amount refunded."""
    from django.db.models import Count, Sum

    return list(
        Payment.objects.filter(merchant=merchant)
        .values("currency")
        .annotate(
            payments=Count("id"),
            amount_minor=Sum("amount_minor"),
            fee_minor=Sum("fee_minor"),
            refunded_minor=Sum("refunded_minor"),
        )
        .order_by("currency")
    )


def refunds_for_payment(*, payment: Payment) -> list:
    return list(payment.refunds.select_related("created_by").order_by("created_at", "id"))


def payment_links_for_merchant(*, merchant) -> list:
    from .models import PaymentLink

    return list(PaymentLink.objects.filter(merchant=merchant).order_by("-created_at", "-id"))


def payment_link_active(*, token: str):
    """An active payment link by its token, or None (unknown and inactive links look the same)."""
    from .models import PaymentLink

    return (
        PaymentLink.objects.filter(token=token, is_active=True, merchant__is_active=True)
        .select_related("merchant")
        .first()
    )
