"""Reads of a customer's withdrawals, scoped to their customer (pages and API alike): the list, newest
first in keyset pages; one withdrawal (another customer's is None); its status history read from the
transaction row's timeline; and the preview the confirmation shows (the quote, refused when the
balance is not enough). Nothing here writes."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

from okpay.wallet.errors import insufficient_funds
from okpay.wallet.models import TransactionEvent
from okpay.wallet.selectors import balances_for

from .choices import WITHDRAWAL_TRANSITIONS, WithdrawalStatus
from .models import Withdrawal
from .selectors import MAX_ID
from .withdrawals import TRANSACTION_STATUS, WithdrawalQuote, withdrawal_quote, withdrawal_rules_check

# what a withdrawal starts as (the submission's event)
FIRST_STATUSES = (WithdrawalStatus.REQUESTED, WithdrawalStatus.UNDER_REVIEW)


def withdrawals_of(*, user) -> QuerySet[Withdrawal]:
    """The customer's withdrawals, newest first."""
    return Withdrawal.objects.filter(user=user).select_related("destination").order_by("-created_at", "-id")


def withdrawals_for(*, user, before: tuple[datetime, int] | None = None, limit: int = 25) -> list[Withdrawal]:
    """A keyset page of them: `before` = (created_at, id) of the last row already shown."""
    rows = withdrawals_of(user=user)
    if before is not None:
        created_at, pk = before
        rows = rows.filter(Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=pk))
    return list(rows[:limit])


def withdrawal_for(*, user, withdrawal_id: int) -> Withdrawal | None:
    """One of the customer's withdrawals; None for another customer's or none."""
    if not 0 < withdrawal_id <= MAX_ID:  # a number past bigint would be a database error
        return None
    return (
        Withdrawal.objects.filter(user=user, pk=withdrawal_id)
        .select_related("destination", "transaction")
        .first()
    )


@dataclass(frozen=True)
class Step:
    status: str
    label: str
    at: datetime


def withdrawal_steps(withdrawal: Withdrawal) -> list[Step]:
    """The withdrawal's own states, oldest first. The transaction row gets one event per change
    (withdrawals.withdrawal_transition); its statuses are the history's coarser ones (requested and
    processing are both "pending"), and the state machine tells which withdrawal state each was: from
    any state, no two moves lead to the same transaction status."""
    if withdrawal.transaction_id is None:
        return []
    labels = dict(WithdrawalStatus.choices)
    steps: list[Step] = []
    current: str | None = None
    for event in TransactionEvent.objects.filter(transaction_id=withdrawal.transaction_id).order_by(
        "created_at", "id"
    ):
        candidates = FIRST_STATUSES if current is None else tuple(WITHDRAWAL_TRANSITIONS[current])
        status = next((s for s in candidates if TRANSACTION_STATUS[s] == event.status), None)
        if status is None:  # not a move of this state machine: left out
            continue
        steps.append(Step(status=status, label=str(labels[status]), at=event.created_at))
        current = status
    return steps


def available_for(*, user, currency: str) -> int:
    """The available balance in `currency` (0 without one; looking creates no account)."""
    return next((a.available_balance for a in balances_for(user=user) if a.currency == currency), 0)


def withdrawal_preview(
    *, user, destination_id, amount_minor: int, currency: str, speed: str
) -> WithdrawalQuote:
    """What the confirmation shows: the quote (fee, amount received, arrival), refused as the
    submission would refuse it — the balance must cover amount + fee, and the verification level's
    limits and the destination's cooling-off are checked (the submission checks them again under
    the customer's lock). Stores nothing."""
    quote = withdrawal_quote(
        user=user, destination_id=destination_id, amount_minor=amount_minor, currency=currency, speed=speed
    )
    if available_for(user=user, currency=currency) < quote.total_minor:
        raise insufficient_funds()
    withdrawal_rules_check(user=user, quote=quote)
    return quote
