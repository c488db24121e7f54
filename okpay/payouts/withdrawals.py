"""Every change to a withdrawal (资金转出): the quote the confirmation page shows, the idempotent
submission (limits by verification level, the cooling-off of new destinations, review thresholds —
all in data/withdrawals.json — and the pending ledger hold of amount + fee), the one transition
function (choices.WITHDRAWAL_TRANSITIONS; the held money follows: paid posts it and sends the amount
to the outside world, failed / cancelled / rejected void it), the customer's cancel and the payout
provider's steps."""

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from okpay.core import i18n
from okpay.core.audit import audit_event_build, audit_event_record
from okpay.core.mail import email_send_rendered_later
from okpay.core.money import format_money
from okpay.core.transitions import SYSTEM, is_system, transition_exists, transition_permitted
from okpay.wallet.actions import transaction_build, transaction_status_set
from okpay.wallet.choices import EntryKind, Side, TransactionKind, TransactionStatus
from okpay.wallet.fx import eur_equivalent_minor, rates_usable
from okpay.wallet.ledger import (
    ENTRY_FUNCTION_ARGS,
    Line,
    entry_create,
    entry_function_params,
    entry_function_result,
    entry_post,
    entry_void,
    system_account,
    wallet_and_system_accounts,
)
from okpay.wallet.locks import customer_lock
from okpay.wallet.models import Transaction

from . import policy
from .choices import WITHDRAWAL_TRANSITIONS, FailureCode, WithdrawalStatus
from .errors import PayoutError
from .models import PayoutDestination, Withdrawal

# what the customer's transaction row (history, timeline) shows for each status
TRANSACTION_STATUS: dict[str, str] = {
    WithdrawalStatus.REQUESTED: TransactionStatus.PENDING,
    WithdrawalStatus.UNDER_REVIEW: TransactionStatus.UNDER_REVIEW,
    WithdrawalStatus.PROCESSING: TransactionStatus.PENDING,
    WithdrawalStatus.PAID: TransactionStatus.COMPLETED,
    WithdrawalStatus.FAILED: TransactionStatus.FAILED,
    WithdrawalStatus.CANCELED: TransactionStatus.CANCELED,
    WithdrawalStatus.REJECTED: TransactionStatus.FAILED,
}
# counted against the verification level's limits (a withdrawal that gave the money back is not)
COUNTED = (
    WithdrawalStatus.REQUESTED,
    WithdrawalStatus.UNDER_REVIEW,
    WithdrawalStatus.PROCESSING,
    WithdrawalStatus.PAID,
)
NOTIFIED: dict[str, str] = {
    WithdrawalStatus.PAID: "paid",
    WithdrawalStatus.FAILED: "failed",
    WithdrawalStatus.CANCELED: "canceled",
    WithdrawalStatus.REJECTED: "rejected",
}


@dataclass(frozen=True)
class WithdrawalQuote:
    destination: PayoutDestination
    method: str
    speed: str
    currency: str
    amount_minor: int  # what arrives
    fee_minor: int
    arrival: policy.Arrival

    @property
    def total_minor(self) -> int:
        return self.amount_minor + self.fee_minor


def withdrawal_quote(
    *, user, destination_id, amount_minor: int, currency: str, speed: str, now=None
) -> WithdrawalQuote:
    """What the confirmation page shows: fee, amount received, arrival. Stores nothing."""
    destination = _one(
        PayoutDestination.objects.filter(pk=destination_id, user=user, removed_at__isnull=True)
    )
    if destination is None:
        raise PayoutError("destination_not_found", _("Choose one of your payout destinations."), status=404)
    if currency not in settings.OKPAY_WALLET_CURRENCIES:
        raise PayoutError("currency_invalid", _("Choose one of your balances' currencies."))
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor <= 0:
        raise PayoutError("amount_invalid", _("Enter the amount as a number, e.g. 100.50."))
    minimum = policy.rules()["min_amount_minor"]
    if amount_minor < minimum:
        raise PayoutError(
            "amount_too_small",
            _("The smallest withdrawal is %(minimum)s."),
            minimum=format_money(minimum, currency, i18n.current()),
        )
    method = policy.method_for(destination.kind, speed)
    if method is None:
        raise PayoutError("speed_unavailable", _("This destination has no such speed. Choose standard."))
    return WithdrawalQuote(
        destination=destination,
        method=method,
        speed=speed,
        currency=currency,
        amount_minor=amount_minor,
        fee_minor=policy.fee_minor(method, amount_minor),
        arrival=policy.arrival(method, now or timezone.now()),
    )


def _one(queryset):
    """The row of a lookup by a unique key, or None: `.first()` without its ORDER BY (each statement
    Django builds costs CPU on the submission's hot path, bench/payouts.py)."""
    return next(iter(queryset.order_by()[:1]), None)


def _request_hash(**fields) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()


def _volumes_eur(user, now) -> tuple[int, int]:
    """EUR equivalent withdrawn in the last 24 hours and the last 30 days (one query)."""
    day = now - timedelta(hours=24)
    totals = Withdrawal.objects.filter(
        user=user, created_at__gte=now - timedelta(days=30), status__in=COUNTED
    ).aggregate(
        day=Sum("eur_equivalent_minor", filter=Q(created_at__gte=day)),
        month=Sum("eur_equivalent_minor"),
    )
    return int(totals["day"] or 0), int(totals["month"] or 0)


def _limit_check(user, eur_minor: int, now) -> None:
    limits = policy.level_limits(user.verification_level)
    day, month = _volumes_eur(user, now)
    checks = (
        (
            limits["per_withdrawal_eur"],
            eur_minor,
            _("This is more than your verification level allows in one withdrawal."),
        ),
        (
            limits["day_eur"],
            day + eur_minor,
            _("This would pass your verification level's limit for 24 hours."),
        ),
        (
            limits["month_eur"],
            month + eur_minor,
            _("This would pass your verification level's limit for 30 days."),
        ),
    )
    for limit, used, message in checks:
        if limit is not None and used > limit:
            raise PayoutError("limit", message)


def withdrawal_rules_check(*, user, quote: WithdrawalQuote, now=None) -> int:
    """The verification level's limits and the destination's cooling-off for `quote` (PayoutError
    when refused); returns the EUR equivalent. Reads only: the confirmation page asks it early, and the
    submission asks it again under the customer's lock, where it decides."""
    now = now or timezone.now()
    eur = eur_equivalent_minor(rates_usable(), quote.amount_minor, quote.currency)
    _limit_check(user, eur, now)
    destination = quote.destination
    if destination.cooling_off and eur >= policy.rules()["large_eur"]:
        raise PayoutError(
            "cooling_off",
            _("This destination is new: large withdrawals to it are possible from %(when)s."),
            when=timezone.localtime(destination.usable_for_large_after).strftime("%Y-%m-%d %H:%M"),
        )
    return eur


def _review_reasons(user, destination: PayoutDestination, eur_minor: int) -> list[str]:
    data = policy.rules()
    reasons = []
    if eur_minor >= data["review_single_eur"]:
        reasons.append("large_withdrawal")
    if (
        eur_minor >= data["review_first_to_destination_eur"]
        and not Withdrawal.objects.filter(destination=destination, status__in=COUNTED).exists()
    ):
        reasons.append("first_to_destination")
    return reasons


def withdrawal_submit(
    *, user, destination_id, amount_minor: int, currency: str, speed: str, key: str
) -> Withdrawal:
    """Submit once per `key`: the same key and request answer the same withdrawal, the same key with
    another request is refused (409). Holds amount + fee at once (insufficient balance → refused,
    nothing held)."""
    key = str(key or "").strip()
    if not key or len(key) > 100:
        raise PayoutError(
            "idempotency_key_invalid", _("The request is missing its one-time key. Reload the page.")
        )
    request_hash = _request_hash(
        destination=str(destination_id), amount=amount_minor, currency=currency, speed=speed
    )
    # a repeated key is answered under the customer's lock in _submit (one query fewer for every new
    # submission than asking here first as well)
    try:
        with transaction.atomic():
            return _submit(user, destination_id, amount_minor, currency, speed, key, request_hash)
    except IntegrityError:  # the same key, submitted at the same moment by another request
        existing = Withdrawal.objects.filter(user=user, idempotency_key=key).first()
        if existing is None:
            raise
        return _same_request(existing, request_hash)


def _same_request(existing: Withdrawal, request_hash: str) -> Withdrawal:
    if existing.request_hash != request_hash:
        raise PayoutError(
            "idempotency_key_reused",
            _("This one-time key was already used for another withdrawal."),
            status=409,
        )
    return existing


def _submit(user, destination_id, amount_minor, currency, speed, key, request_hash) -> Withdrawal:
    customer_lock(user)  # limits and reviews are decided per customer, one submission at a time
    existing = _one(Withdrawal.objects.filter(user=user, idempotency_key=key))
    if existing is not None:  # the same key committed while this one waited for the lock
        return _same_request(existing, request_hash)
    now = timezone.now()
    quote = withdrawal_quote(
        user=user,
        destination_id=destination_id,
        amount_minor=amount_minor,
        currency=currency,
        speed=speed,
        now=now,
    )
    destination = quote.destination
    eur = withdrawal_rules_check(user=user, quote=quote, now=now)
    reasons = _review_reasons(user, destination, eur)
    status = WithdrawalStatus.UNDER_REVIEW if reasons else WithdrawalStatus.REQUESTED
    withdrawal = Withdrawal(
        user=user,
        destination=destination,
        method=quote.method,
        speed=speed,
        currency=currency,
        amount_minor=amount_minor,
        fee_minor=quote.fee_minor,
        eur_equivalent_minor=eur,
        status=status,
        review_reasons=reasons,
        provider=settings.OKPAY_PAYOUT_PROVIDER,
        idempotency_key=key,
        request_hash=request_hash,
        estimated_arrival=quote.arrival.latest,
        created_at=now,
        updated_at=now,
    )
    # Everything above decided; below only writes what was decided (the balance check is the
    # ledger's): on PostgreSQL one database function, elsewhere the ORM — the same rows.
    write = _write_postgres if connection.vendor == "postgresql" else _write_python
    withdrawal = write(withdrawal, quote, reasons)
    if status == WithdrawalStatus.REQUESTED:
        from .providers import provider_for

        withdrawal = provider_for(withdrawal).accepted(withdrawal)
    return withdrawal


def _transaction_row(withdrawal: Withdrawal, quote: WithdrawalQuote, reasons: list[str]):
    """The customer's transaction row (history, timeline) of a new withdrawal, not saved."""
    return transaction_build(
        user=withdrawal.user,
        kind=TransactionKind.WITHDRAWAL,
        status=TRANSACTION_STATUS[withdrawal.status],
        amount_minor=-quote.total_minor,
        fee_minor=quote.fee_minor,
        currency=withdrawal.currency,
        reference=f"withdrawal:{withdrawal.pk}",
        counterparty=str(quote.destination),
        note=", ".join(reasons),
    )


def _audit_event(withdrawal: Withdrawal, reasons: list[str]):
    return audit_event_build(
        action="withdrawal.submitted",
        actor=withdrawal.user,
        data={
            "withdrawal": withdrawal.pk,
            "status": withdrawal.status,
            "reasons": reasons,
            "amount": withdrawal.amount_minor,
        },
    )


def _hold(withdrawal: Withdrawal, quote: WithdrawalQuote) -> dict:
    """entry_create's arguments for the pending hold of amount + fee."""
    user, currency = withdrawal.user, withdrawal.currency
    wallet, system = wallet_and_system_accounts(user, currency, ("withdrawals_in_flight", "fee_revenue"))
    lines = [
        Line(wallet, Side.DEBIT, quote.total_minor),
        Line(system["withdrawals_in_flight"], Side.CREDIT, quote.amount_minor),
    ]
    if quote.fee_minor:
        lines.append(Line(system["fee_revenue"], Side.CREDIT, quote.fee_minor))
    return {
        "key": f"withdrawal:{user.pk}:{withdrawal.idempotency_key}",
        "kind": EntryKind.WITHDRAWAL,
        "pending": True,
        "created_by": user,
        "lines": lines,
        "reference": f"withdrawal:{withdrawal.pk}",
        "description": f"to {quote.destination}"[:300],
    }


def _write_python(withdrawal: Withdrawal, quote: WithdrawalQuote, reasons: list[str]) -> Withdrawal:
    """The ORM path (SQLite): the rows one statement at a time."""
    withdrawal.save(force_insert=True)
    row, event = _transaction_row(withdrawal, quote, reasons)
    row.save(force_insert=True)
    event.transaction = row
    event.save(force_insert=True)
    _audit_event(withdrawal, reasons).save(force_insert=True)
    _notify(withdrawal, "submitted")  # rendered now, sent only if the transaction commits
    # The hold last: it locks the currency's system accounts (in flight, fee revenue) that every
    # withdrawal in that currency posts to, so they stay locked only from here to the commit — not
    # through the rows, the audit event and the email above (measured: bench/payouts.py, 8 clients
    # mostly waited on those two rows when the hold came first). Refused (balance) → all rolled back.
    entry = entry_create(**_hold(withdrawal, quote))
    Withdrawal.objects.filter(pk=withdrawal.pk).update(entry=entry, transaction=row)
    Transaction.objects.filter(pk=row.pk).update(entry=entry)
    withdrawal.entry, withdrawal.transaction = entry, row
    row.entry = entry
    return withdrawal


WRITE_SQL = f"SELECT okpay_withdrawal_submit_write({', '.join(['%s'] * 42)}, {ENTRY_FUNCTION_ARGS})"


def _values(instance, columns: tuple[str, ...]) -> list:
    fields = {field.column: field for field in instance._meta.concrete_fields}
    return [fields[c].get_db_prep_save(getattr(instance, fields[c].attname), connection) for c in columns]


WITHDRAWAL_COLUMNS = (
    "id", "user_id", "destination_id", "method", "speed", "currency", "amount_minor", "fee_minor",
    "eur_equivalent_minor", "status", "review_reasons", "failure_code", "provider",
    "provider_reference", "provider_due_at", "idempotency_key", "request_hash",
    "estimated_arrival", "created_at", "updated_at", "paid_at",
)  # fmt: skip
TRANSACTION_COLUMNS = (
    "user_id", "kind", "status", "amount_minor", "fee_minor", "currency", "counterparty",
    "description", "reference", "created_at", "updated_at",
)  # fmt: skip
EVENT_COLUMNS = ("status", "note", "created_at")
AUDIT_COLUMNS = ("action", "actor_id", "subject_user_id", "ip_address", "user_agent", "data", "created_at")


def _write_postgres(withdrawal: Withdrawal, quote: WithdrawalQuote, reasons: list[str]) -> Withdrawal:
    """PostgreSQL: the same rows as `_write_python`, written by one call of
    `okpay_withdrawal_submit_write` (payouts migration 0005), which ends with the hold. The id is
    allocated first, so the email (which shows the reference) is queued before that call, not while
    the system accounts are locked."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence('payouts_withdrawal', 'id'))")
        (withdrawal.pk,) = cursor.fetchone()
    _notify(withdrawal, "submitted")  # rendered now, sent only if the transaction commits
    row, event = _transaction_row(withdrawal, quote, reasons)
    audit = _audit_event(withdrawal, reasons)
    audit.created_at = withdrawal.created_at
    entry, ledger_args = entry_function_params(**_hold(withdrawal, quote))
    params = [
        *_values(withdrawal, WITHDRAWAL_COLUMNS),
        *_values(row, TRANSACTION_COLUMNS),
        *_values(event, EVENT_COLUMNS),
        *_values(audit, AUDIT_COLUMNS),
        *ledger_args,
    ]
    with connection.cursor() as cursor:
        cursor.execute(WRITE_SQL, params)
        ((result, row_id),) = cursor.fetchone()
    entry = entry_function_result(entry, result)  # a refusal raises: the caller's atomic rolls back
    for instance, pk in ((withdrawal, withdrawal.pk), (row, row_id)):
        instance.pk = pk
        instance._state.adding, instance._state.db = False, connection.alias
    event.transaction = row
    row.entry = entry
    withdrawal.entry, withdrawal.transaction = entry, row
    return withdrawal


def _notify(withdrawal: Withdrawal, template: str) -> None:
    """Email the customer in their language and time zone (sent only if the transaction commits;
    rendered by the task worker from the values of `_email_context`, as they are now)."""
    user = withdrawal.user
    language = i18n.normalise(user.language)
    email_send_rendered_later(
        to=user.email,
        template=f"payouts/email/withdrawal_{template}",
        context=_email_context(withdrawal, language),
        language=language,
        time_zone=user.time_zone,
    )


def _email_context(withdrawal: Withdrawal, language: str) -> dict:
    """What the withdrawal emails show, as plain values (the worker renders them): the templates
    read `user.display_name` and `withdrawal.reference` of the objects, the rest is formatted here in
    the customer's language and time zone (test_withdrawal_emails_render_the_same_later)."""
    import zoneinfo

    from django.urls import reverse
    from django.utils import translation
    from django.utils.formats import date_format

    user = withdrawal.user
    with translation.override(language):
        try:
            zone = zoneinfo.ZoneInfo(user.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            zone = None
        arrival = timezone.localtime(withdrawal.estimated_arrival, zone)
        return {
            "withdrawal": {"reference": withdrawal.reference},
            "user": {"display_name": user.display_name},
            "amount": format_money(withdrawal.amount_minor, withdrawal.currency, language),
            "fee": format_money(withdrawal.fee_minor, withdrawal.currency, language),
            "destination": str(withdrawal.destination),
            "arrival": date_format(arrival, "DATETIME_FORMAT"),
            "reason": str(dict(FailureCode.choices).get(withdrawal.failure_code, "")),
            "detail_url": settings.SITE_URL + reverse("payouts:withdrawal", args=[withdrawal.pk]),
        }


def _locked(withdrawal_id) -> Withdrawal:
    return (
        Withdrawal.objects.select_for_update(of=("self",))
        .select_related("entry", "transaction", "user")
        .get(pk=withdrawal_id)
    )


def withdrawal_transition_allowed(*, withdrawal: Withdrawal, to: str, actor) -> bool:
    is_customer = not is_system(actor) and getattr(actor, "pk", None) == withdrawal.user_id
    return transition_permitted(
        WITHDRAWAL_TRANSITIONS, withdrawal.status, to, actor=actor, is_customer=is_customer
    )


@transaction.atomic
def withdrawal_transition(
    *, withdrawal: Withdrawal, to: str, actor, failure_code: str = "", note: str = ""
) -> Withdrawal:
    """The one place a withdrawal's status changes: locks it, checks the move and the actor, moves
    the held money, updates the customer's transaction row and timeline, audits, and emails the
    customer on paid / failed / cancelled / rejected. A refused move changes nothing."""
    locked = _locked(withdrawal.pk)
    label = dict(WithdrawalStatus.choices)
    if not transition_exists(WITHDRAWAL_TRANSITIONS, locked.status, to):
        raise PayoutError(
            "illegal_transition",
            _("A withdrawal cannot move from “%(current)s” to “%(target)s”."),
            status=409,
            current=label.get(locked.status, locked.status),
            target=label.get(to, to),
        )
    if not withdrawal_transition_allowed(withdrawal=locked, to=to, actor=actor):
        raise PayoutError("forbidden", _("You may not change this withdrawal this way."), status=403)
    if to == WithdrawalStatus.FAILED and failure_code not in FailureCode.values:
        raise PayoutError("failure_code_required", _("Choose why the payout failed."))
    previous, now = locked.status, timezone.now()
    entry = locked.entry
    if entry is None or locked.transaction is None:
        raise RuntimeError(f"withdrawal {locked.pk} has no ledger entry or transaction row")
    if to == WithdrawalStatus.PAID:
        entry_post(entry)
        entry_create(
            key=f"withdrawal:{locked.pk}:paid",
            kind=EntryKind.WITHDRAWAL,
            reference=f"withdrawal:{locked.pk}",
            lines=[
                Line(
                    system_account("withdrawals_in_flight", locked.currency), Side.DEBIT, locked.amount_minor
                ),
                Line(system_account("external", locked.currency), Side.CREDIT, locked.amount_minor),
            ],
        )
        locked.paid_at = now
    elif to in (WithdrawalStatus.FAILED, WithdrawalStatus.CANCELED, WithdrawalStatus.REJECTED):
        entry_void(entry)
    locked.status, locked.updated_at = to, now
    if to == WithdrawalStatus.FAILED:
        locked.failure_code = failure_code
    locked.save()
    transaction_status_set(
        row=locked.transaction,
        status=TRANSACTION_STATUS[to],
        note=(note or (dict(FailureCode.choices).get(failure_code, "") if failure_code else ""))[:300],
    )
    audit_event_record(
        action="withdrawal.status_changed",
        actor=None if is_system(actor) else actor,
        subject_user=locked.user,
        data={
            "withdrawal": locked.pk,
            "from": previous,
            "to": to,
            "failure_code": failure_code,
            "note": note[:200],
        },
    )
    if to in NOTIFIED:
        _notify(locked, NOTIFIED[to])
    return locked


def withdrawal_cancel(*, user, withdrawal_id) -> Withdrawal:
    """The customer cancels while it is requested or under review; the held money comes back."""
    withdrawal = Withdrawal.objects.filter(pk=withdrawal_id, user=user).first()
    if withdrawal is None:
        raise PayoutError("not_found", _("No such withdrawal."), status=404)
    return withdrawal_transition(
        withdrawal=withdrawal, to=WithdrawalStatus.CANCELED, actor=user, note="canceled by customer"
    )


def withdrawal_review_decide(*, withdrawal: Withdrawal, reviewer, approve: bool, note: str) -> Withdrawal:
    """A reviewer approves (→ requested, then the provider) or rejects (money back) with a note; never
    their own account's withdrawal."""
    note = " ".join(str(note or "").split())
    if not note:
        raise PayoutError("note_required", _("Write a note for the decision."))
    if reviewer.pk == withdrawal.user_id:
        raise PayoutError(
            "own_withdrawal", _("You cannot decide on your own account's withdrawal."), status=403
        )
    to = WithdrawalStatus.REQUESTED if approve else WithdrawalStatus.REJECTED
    with transaction.atomic():
        decided = withdrawal_transition(withdrawal=withdrawal, to=to, actor=reviewer, note=note)
        if approve:
            from .providers import provider_for

            decided = provider_for(decided).accepted(decided)
    return decided


__all__ = [
    "SYSTEM",
    "WithdrawalQuote",
    "withdrawal_cancel",
    "withdrawal_quote",
    "withdrawal_review_decide",
    "withdrawal_submit",
    "withdrawal_transition",
]
