"""What payout operators do in the console, always through withdrawals.withdrawal_transition: a step of
the manual provider (sent to the bank → processing; paid; failed with a code and a note), the payout
batch (the requested withdrawals of the manual provider exported as CSV and moved to processing in one
transaction), and showing a destination's full account number to pay it (audited)."""

import csv
import io
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from okpay.accounts import roles
from okpay.core.audit import audit_event_record
from okpay.core.money import to_major

from .choices import DestinationKind, FailureCode, Method, WithdrawalStatus
from .errors import PayoutError
from .models import Withdrawal
from .providers import ManualProvider
from .selectors import institution_name
from .selectors_staff import operations_rules
from .withdrawals import withdrawal_transition

OPERATOR_MOVES = (WithdrawalStatus.PROCESSING, WithdrawalStatus.PAID, WithdrawalStatus.FAILED)
NOTE_MAX = 300
CSV_HEADER = [
    "reference",
    "id",
    "created_at",
    "customer_email",
    "holder_name",
    "account",
    "bank_name",
    "currency",
    "amount",
    "method",
    "destination_kind",
    "card_last4",
    "batch",
]


def _operator_check(operator, withdrawal: Withdrawal | None = None) -> None:
    if not roles.can_operate_payouts(operator):
        raise PayoutError("forbidden", _("You may not change this withdrawal this way."), status=403)
    if withdrawal is not None and operator.pk == withdrawal.user_id:
        raise PayoutError("own_withdrawal", _("You cannot act on your own account's withdrawal."), status=403)


def _note(text) -> str:
    return " ".join(str(text or "").split())[:NOTE_MAX]


def withdrawal_operator_move(
    *, operator, withdrawal: Withdrawal, to: str, failure_code: str = "", note: str = ""
) -> Withdrawal:
    """An operator's step of the manual provider: requested → processing (sent to the bank),
    processing → paid, or processing → failed with a FailureCode and a note (the money comes back).
    Withdrawals of another provider settle by themselves; never the operator's own account's."""
    _operator_check(operator, withdrawal)
    if withdrawal.provider != ManualProvider.name:
        raise PayoutError(
            "not_manual",
            _("The %(provider)s provider settles this withdrawal by itself."),
            status=409,
            provider=withdrawal.provider,
        )
    if to not in OPERATOR_MOVES:
        raise PayoutError("illegal_transition", _("Choose what happened to the payout."), status=409)
    note = _note(note)
    if to == WithdrawalStatus.FAILED:
        if failure_code not in FailureCode.values:
            raise PayoutError("failure_code_required", _("Choose why the payout failed."))
        if not note:
            raise PayoutError("note_required", _("Write a note saying what the bank answered."))
    return withdrawal_transition(
        withdrawal=withdrawal,
        to=to,
        actor=operator,
        failure_code=failure_code if to == WithdrawalStatus.FAILED else "",
        note=note,
    )


def withdrawal_destination_reveal(*, operator, withdrawal: Withdrawal) -> str:
    """The destination's full account (IBAN, Chinese bank card number or e-wallet account) for an
    operator who pays it by hand; every look is an audit row. A debit card's number is not stored."""
    _operator_check(operator)
    destination = withdrawal.destination
    if destination.kind == DestinationKind.DEBIT_CARD or not destination.account:
        raise PayoutError(
            "no_account_number", _("Only the card's brand and last four digits are kept."), status=404
        )
    audit_event_record(
        action="withdrawal.destination_revealed",
        actor=operator,
        subject_user=withdrawal.user,
        data={"withdrawal": withdrawal.pk, "destination": destination.pk, "kind": destination.kind},
    )
    return destination.account


@dataclass(frozen=True)
class PayoutBatch:
    reference: str
    withdrawals: list[Withdrawal]


def withdrawal_batch_export(*, operator, method: str = "", currency: str = "") -> PayoutBatch:
    """The manual provider's requested withdrawals (of one method and currency, if given), oldest
    first, at most data/operations.json "batch_max": locked, each moved to processing through
    withdrawal_transition, in one transaction with one audit row for the batch. A withdrawal cancelled
    before its lock was taken is not in it; the operator's own account's never is."""
    _operator_check(operator)
    if method and method not in Method.values:
        raise PayoutError("method_invalid", _("Choose a payout method."))
    if currency and currency not in settings.OKPAY_WALLET_CURRENCIES:
        raise PayoutError("currency_invalid", _("Choose one of the balances' currencies."))
    now = timezone.now()
    reference = f"PB-{timezone.localtime(now):%Y%m%d-%H%M%S}-{operator.pk}"
    with transaction.atomic():
        rows = Withdrawal.objects.filter(provider=ManualProvider.name, status=WithdrawalStatus.REQUESTED)
        if method:
            rows = rows.filter(method=method)
        if currency:
            rows = rows.filter(currency=currency)
        chosen = list(
            rows.exclude(user=operator)
            .order_by("created_at", "pk")
            .values_list("pk", flat=True)[: operations_rules()["batch_max"]]
        )
        # lock in primary-key order (as every other locker of several rows); a row cancelled
        # meanwhile no longer matches and is left out
        locked = list(
            Withdrawal.objects.select_for_update()
            .filter(pk__in=chosen, status=WithdrawalStatus.REQUESTED)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not locked:
            raise PayoutError(
                "batch_empty", _("No requested withdrawals of the manual provider to export."), status=404
            )
        for withdrawal in Withdrawal.objects.filter(pk__in=locked).order_by("pk"):
            withdrawal_transition(
                withdrawal=withdrawal,
                to=WithdrawalStatus.PROCESSING,
                actor=operator,
                note=f"payout batch {reference}",
            )
        Withdrawal.objects.filter(pk__in=locked).update(provider_reference=reference)
        audit_event_record(
            action="withdrawal.batch_exported",
            actor=operator,
            data={
                "batch": reference,
                "withdrawals": locked,
                "count": len(locked),
                "method": method,
                "currency": currency,
            },
        )
        exported = list(
            Withdrawal.objects.filter(pk__in=locked)
            .select_related("user", "destination")
            .order_by("created_at", "pk")
        )
    return PayoutBatch(reference=reference, withdrawals=exported)


def csv_safe(value) -> str:
    """Keep spreadsheet programs from reading a cell as a formula (CSV injection)."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def batch_csv(batch: PayoutBatch) -> str:
    """The batch as the operator pays it: one row per withdrawal, the amount received in major units."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for withdrawal in batch.withdrawals:
        destination = withdrawal.destination
        writer.writerow(
            [
                csv_safe(cell)
                for cell in (
                    withdrawal.reference,
                    withdrawal.pk,
                    timezone.localtime(withdrawal.created_at).isoformat(timespec="seconds"),
                    withdrawal.user.email,
                    destination.holder_name,
                    destination.account,
                    institution_name(destination),
                    withdrawal.currency,
                    to_major(withdrawal.amount_minor, withdrawal.currency),
                    withdrawal.method,
                    destination.kind,
                    destination.card_last4,
                    batch.reference,
                )
            ]
        )
    return out.getvalue()
