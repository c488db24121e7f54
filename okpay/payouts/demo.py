"""Demo data: the demo customers' payout destinations and past withdrawals in every state (demo mode
pays through the sandbox provider). Idempotent: nothing is added when the customer has destinations."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from okpay.core.transitions import SYSTEM
from okpay.wallet.fx import latest_rate_set, rates_refresh
from okpay.wallet.models import Transaction, TransactionEvent

from . import validation
from .choices import DestinationKind, WithdrawalStatus
from .models import PayoutDestination, Withdrawal
from .withdrawals import withdrawal_cancel, withdrawal_review_decide, withdrawal_submit, withdrawal_transition


def _destination(user, kind: str, **fields) -> PayoutDestination:
    long_ago = timezone.now() - timedelta(days=40)
    destination = PayoutDestination.objects.create(
        user=user, kind=kind, usable_for_large_after=long_ago, **fields
    )
    PayoutDestination.objects.filter(pk=destination.pk).update(created_at=long_ago)
    return destination


def _backdate(withdrawal: Withdrawal, days: int) -> None:
    when = timezone.now() - timedelta(days=days)
    assert withdrawal.pk is not None and withdrawal.transaction_id is not None
    Withdrawal.objects.filter(pk=withdrawal.pk).update(created_at=when, updated_at=when)
    Transaction.objects.filter(pk=withdrawal.transaction_id).update(created_at=when, updated_at=when)
    TransactionEvent.objects.filter(transaction_id=withdrawal.transaction_id).update(created_at=when)


def _submit(user, destination, amount_minor, currency, key, speed="standard") -> Withdrawal:
    return withdrawal_submit(
        user=user,
        destination_id=destination.pk,
        amount_minor=amount_minor,
        currency=currency,
        speed=speed,
        key=f"demo-{key}",
    )


@transaction.atomic
def payouts_demo_load() -> str | None:
    User = get_user_model()
    customer = User.objects.get(email="customer@example.com")
    if PayoutDestination.objects.filter(user=customer).exists():
        return None
    if latest_rate_set() is None:
        rates_refresh()
    english = User.objects.get(email="customer.en@example.com")
    supervisor = User.objects.get(email="supervisor@example.com")
    card = validation.debit_card_check("6200000000000005")
    icbc = _destination(
        customer,
        DestinationKind.CN_BANK_CARD,
        account="6222021001122334458",
        bank_code="ICBC",
        bank_name="中国工商银行",
        country="CN",
        holder_name="王小明",
        label="工资卡",
    )
    alipay = _destination(customer, DestinationKind.EWALLET, provider="alipay", account="+8613800138000")
    unionpay = _destination(
        customer,
        DestinationKind.DEBIT_CARD,
        card_last4=card.last4,
        card_brand=card.brand,
        card_fingerprint=card.fingerprint,
        holder_name="WANG XIAOMING",
    )
    iban = validation.iban_check("GB82WEST12345698765432")
    bank = _destination(
        english,
        DestinationKind.IBAN,
        account=iban.compact,
        country=iban.country,
        bank_name=iban.bank_name,
        holder_name="Emma Clarke",
        label="Current account",
    )
    paypal = _destination(english, DestinationKind.EWALLET, provider="paypal", account="emma@example.com")

    paid = _submit(customer, icbc, 80_000, "CNY", "paid")
    withdrawal_transition(withdrawal=paid, to=WithdrawalStatus.PAID, actor=SYSTEM, note="sandbox: paid")
    _backdate(paid, 12)
    failed = _submit(customer, alipay, 1_313, "CNY", "failed")  # the sandbox's test amount
    withdrawal_transition(
        withdrawal=failed, to=WithdrawalStatus.FAILED, actor=SYSTEM, failure_code="declined", note="sandbox"
    )
    _backdate(failed, 5)
    canceled = _submit(
        customer, unionpay, 500_000, "CNY", "canceled", speed="instant"
    )  # first, large: review
    withdrawal_cancel(user=customer, withdrawal_id=canceled.pk)
    _backdate(canceled, 3)
    _submit(customer, unionpay, 450_000, "CNY", "review", speed="instant")  # stays under review
    _submit(customer, icbc, 30_000, "CNY", "processing")  # the sandbox pays it in a business day
    rejected = _submit(english, bank, 60_000, "EUR", "rejected")  # first to the IBAN, 600 EUR: review
    withdrawal_review_decide(
        withdrawal=rejected, reviewer=supervisor, approve=False, note="The account holder's name differs."
    )
    _backdate(rejected, 2)
    english_paid = _submit(english, paypal, 5_000, "EUR", "paid-en")
    withdrawal_transition(
        withdrawal=english_paid, to=WithdrawalStatus.PAID, actor=SYSTEM, note="sandbox: paid"
    )
    _backdate(english_paid, 8)
    return "payout destinations and withdrawals in every state for the demo customers"
