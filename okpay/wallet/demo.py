"""Demo wallet data: balances and about 30 varied transactions for the demo customers, with two
merchants, refunds and international transfers (one paid, one waiting for compliance review)."""

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from okpay.accounts.models import User

from .actions import payment_create, refund_create, topup_demo
from .fx import latest_rate_set, quote_create, rates_refresh
from .international.actions import international_review_decide, international_settle, international_submit
from .models import InternationalTransfer, Payment, Transaction, TransactionEvent

PURCHASES = [
    ("晨光咖啡", "拿铁 大杯"),
    ("晨光咖啡", "美式咖啡 ×2"),
    ("晨光咖啡", "早餐套餐"),
    ("青藤书店", "《三体》全集"),
    ("青藤书店", "英语词典"),
    ("青藤书店", "儿童绘本 3 本"),
    ("晨光咖啡", "蛋糕 + 咖啡"),
    ("青藤书店", "笔记本 ×5"),
]


def _backdate(rows, when) -> None:
    Transaction.objects.filter(pk__in=[r.pk for r in rows]).update(created_at=when, updated_at=when)
    TransactionEvent.objects.filter(transaction__in=rows).update(created_at=when)


@transaction.atomic
def wallet_demo_load() -> str | None:
    customer = User.objects.get(email="customer@example.com")
    if Transaction.objects.filter(user=customer).exists():
        return None
    if latest_rate_set() is None:
        rates_refresh()
    coffee, books = (
        User.objects.get(email="merchant@example.com"),
        User.objects.get(email="bookstore@example.com"),
    )
    english = User.objects.get(email="customer.en@example.com")
    User.objects.filter(pk__in=[customer.pk, english.pk]).update(verification_level=2)
    customer.refresh_from_db()
    english.refresh_from_db()
    rng = random.Random(2026)  # noqa: S311 - demo data, not security
    now = timezone.now()
    topups = [
        topup_demo(user=customer, amount_minor=2_000_000, currency="CNY", key="demo-1"),
        topup_demo(user=customer, amount_minor=50_000, currency="USD", key="demo-2"),
        topup_demo(user=english, amount_minor=300_000, currency="EUR", key="demo-3"),
        topup_demo(user=english, amount_minor=500_000, currency="CNY", key="demo-4"),
    ]
    _backdate(topups[:2], now - timedelta(days=60))
    _backdate(topups[2:], now - timedelta(days=45))
    payments: list[Payment] = []
    for n in range(24):
        shop, item = PURCHASES[n % len(PURCHASES)]
        merchant = coffee if shop == "晨光咖啡" else books
        amount = rng.choice([1800, 2500, 3200, 4500, 6800, 12800, 25900, 9900])
        payment = payment_create(
            customer=customer,
            merchant=merchant,
            amount_minor=amount,
            currency="CNY",
            description=item,
            key=f"demo-pay-{n}",
        )
        when = now - timedelta(days=58 - n * 2, hours=rng.randint(0, 10), minutes=rng.randint(0, 59))
        Payment.objects.filter(pk=payment.pk).update(created_at=when)
        _backdate(list(payment.entry.transactions.all()), when)
        payments.append(payment)
    # a duplicate pair (the "charged twice" question: the bot finds it), a refunded double payment
    # and a partial refund
    for n, minutes in enumerate((6, 4)):
        double = payment_create(
            customer=customer,
            merchant=books,
            amount_minor=5600,
            currency="CNY",
            description="《小王子》精装",
            key=f"demo-double-{n}",
        )
        _backdate(list(double.entry.transactions.all()), now - timedelta(hours=3, minutes=minutes))
    twin = payment_create(
        customer=customer,
        merchant=coffee,
        amount_minor=3200,
        currency="CNY",
        description="拿铁 大杯",
        key="demo-twin",
    )
    _backdate(list(twin.entry.transactions.all()), now - timedelta(days=1, minutes=3))
    refund_create(
        merchant=coffee, payment=twin, amount_minor=3200, reason="重复扣款，全额退款", key="demo-refund-1"
    )
    refund_create(
        merchant=books,
        payment=next(p for p in payments if p.merchant == books),
        amount_minor=1000,
        reason="缺页，部分退款",
        key="demo-refund-2",
    )
    for n, amount in enumerate([1500, 2400, 5000]):
        payment_create(
            customer=english,
            merchant=books,
            amount_minor=amount * 10,
            currency="CNY",
            description=["Chinese course book", "Souvenir bookmarks", "Travel guide"][n],
            key=f"demo-en-{n}",
        )
    # international: one paid out (CNY → USD) and one held for review (EUR → USD, over 1,000 EUR)
    paid = international_submit(
        user=customer,
        quote_id=quote_create(
            user=customer,
            from_currency="CNY",
            to_currency="USD",
            source_amount_minor=300_000,
            recipient_country="US",
        ).pk,
        recipient_name="Li Ming (UC Berkeley)",
        recipient_country="US",
        recipient_account="US64SVBKUS6S3300958879",
        purpose="生活费",
        key="demo-intl-1",
    )
    InternationalTransfer.objects.filter(pk=paid.pk).update(
        cancel_until=now - timedelta(days=5, minutes=30), created_at=now - timedelta(days=5)
    )
    international_settle(transfer_id=paid.pk)
    _backdate([paid.transaction], now - timedelta(days=5))
    international_submit(
        user=english,
        quote_id=quote_create(
            user=english,
            from_currency="EUR",
            to_currency="USD",
            source_amount_minor=150_000,
            recipient_country="US",
        ).pk,
        recipient_name="Oliver Clarke",
        recipient_country="US",
        recipient_account="US12BOFA0000123456789",
        recipient_address="12 Elm Street, Boston MA",
        sender_address="5 Rue Cler, Paris",
        purpose="family support",
        key="demo-intl-2",
    )
    _demo_transfers_in_flight(customer)
    count = Transaction.objects.filter(user__in=[customer, english]).count()
    return (
        f"wallet: {count} transactions for the demo customers, 2 merchants, international transfers paid, "
        "processing, in compliance review and rejected"
    )


def _demo_transfers_in_flight(customer) -> None:
    """The Chinese demo customer's transfers that are not finished yet (what "我的国际转账到哪了" is
    asked about): one processing (inside its 30-minute cancel window when the demo is loaded), one held
    for compliance review (1,000 EUR or more) and one the compliance team rejected."""
    supervisor = User.objects.filter(email="supervisor@example.com").first()
    details = {
        "recipient_country": "GB",
        "recipient_address": "1 King's Parade, Cambridge",
        "sender_address": "上海市徐汇区漕溪北路 88 号",
    }
    funds = topup_demo(user=customer, amount_minor=1_500_000, currency="CNY", key="demo-intl-funds")
    _backdate([funds], timezone.now() - timedelta(days=10))
    submitted = []
    for key, amount, name, account in (
        ("demo-intl-3", 80_000, "Li Ming (UC Berkeley)", "US64SVBKUS6S3300958879"),
        ("demo-intl-4", 800_000, "Chen Jing", "GB33BUKB20201555555555"),
        ("demo-intl-5", 450_000, "Zhang Wei", "GB94BARC10201530093459"),
    ):
        country = "US" if account.startswith("US") else "GB"
        quote = quote_create(
            user=customer,
            from_currency="CNY",
            to_currency="USD" if country == "US" else "GBP",
            source_amount_minor=amount,
            recipient_country=country,
        )
        submitted.append(
            international_submit(
                user=customer,
                quote_id=quote.pk,
                recipient_name=name,
                recipient_account=account,
                purpose="学费" if country == "GB" else "生活费",
                key=key,
                **{**details, "recipient_country": country},
            )
        )
    rejected = submitted[2]
    if supervisor is not None and rejected.status == "under_review":
        international_review_decide(
            reviewer=supervisor,
            transfer_id=rejected.pk,
            approve=False,
            note="收款人信息与证明材料不一致 / the recipient's details do not match the documents",
        )
