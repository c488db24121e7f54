"""PostgreSQL: a withdrawal's writes go through `okpay_withdrawal_submit_write` (payouts migration
0005); SQLite keeps the ORM path (`_write_python`). Both write the same rows — the withdrawal, the
customer's transaction row and its first event, the audit event, the pending hold, the email in the
outbox — and a refused hold (balance) leaves nothing of any of them."""

import pytest
from django.db import connection
from django.forms.models import model_to_dict
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from okpay.core.audit import AuditContext, audit_context
from okpay.core.errors import DomainError
from okpay.core.models import AuditEvent
from okpay.core.testing import skip_unless_postgres
from okpay.payouts import withdrawals
from okpay.payouts.models import PayoutDestination, Withdrawal
from okpay.payouts.withdrawals import withdrawal_submit
from okpay.wallet.actions import topup_demo
from okpay.wallet.ledger import ledger_verify, wallet_account
from okpay.wallet.models import JournalEntry, Transaction

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
DATABASE_TASKS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "training"]}
}


@pytest.fixture(autouse=True)
def _postgres(settings):
    skip_unless_postgres()
    settings.OKPAY_PAYOUT_PROVIDER = "manual"
    settings.TASKS = DATABASE_TASKS  # the product's queue: the email is a row in the same transaction
    from okpay.wallet.fx import rates_refresh

    rates_refresh()


def _customer(make_user, n, level=1):
    user = make_user(
        email=f"same{n}@example.com", full_name="王小明", language="zh-hans", verification_level=level
    )
    topup_demo(user=user, amount_minor=1_000_000, currency="CNY", key="seed")
    destination = PayoutDestination.objects.create(
        user=user,
        kind="ewallet",
        provider="alipay",
        account="+8613800138000",
        usable_for_large_after=timezone.now(),
    )
    return user, destination


def _submit(user, destination, amount, key="k1"):
    with audit_context(AuditContext(ip_address="203.0.113.9", user_agent="pytest", channel="web")):
        return withdrawal_submit(
            user=user,
            destination_id=destination.pk,
            amount_minor=amount,
            currency="CNY",
            speed="standard",
            key=key,
        )


def _written(withdrawal: Withdrawal) -> dict:
    """Every row the submission wrote, with the ids and the customer's own ids taken out."""
    user = withdrawal.user
    drop = {
        "id",
        "user",
        "destination",
        "request_hash",
        "entry",
        "transaction",
        "created_at",
        "updated_at",
        "estimated_arrival",
    }
    row = Transaction.objects.get(pk=withdrawal.transaction_id)
    entry = JournalEntry.objects.get(pk=withdrawal.entry_id)
    audit = AuditEvent.objects.get(action="withdrawal.submitted", actor=user)
    (mail,) = [r for r in DBTaskResult.objects.all() if r.args_kwargs["kwargs"]["to"] == user.email]
    # the task renders it in the worker from these values (test_withdrawal_emails.py)
    queued = dict(mail.args_kwargs["kwargs"])
    queued["context"] = {
        **queued["context"],
        "withdrawal": queued["context"]["withdrawal"] == {"reference": f"WD-{withdrawal.pk}"},
        "detail_url": queued["context"]["detail_url"].endswith(f"/{withdrawal.pk}/"),
    }
    queued["to"] = queued["to"] == user.email
    expected_hash = withdrawals._request_hash(
        destination=str(withdrawal.destination_id),
        amount=withdrawal.amount_minor,
        currency="CNY",
        speed="standard",
    )
    return {
        "hash": Withdrawal.objects.get(pk=withdrawal.pk).request_hash == expected_hash,
        "withdrawal": {
            k: v for k, v in model_to_dict(Withdrawal.objects.get(pk=withdrawal.pk)).items() if k not in drop
        },
        "links": (
            row.entry_id == entry.pk,
            row.reference == entry.reference == f"withdrawal:{withdrawal.pk}",
        ),
        "transaction": {k: v for k, v in model_to_dict(row).items() if k not in drop | {"reference"}},
        "events": [(e.status, e.note, e.created_at == row.created_at) for e in row.events.all()],
        "audit": (
            audit.subject_user_id == user.pk,
            str(audit.ip_address),
            audit.user_agent,
            {**audit.data, "withdrawal": audit.data["withdrawal"] == withdrawal.pk},
        ),
        "entry": (
            entry.idempotency_key == f"withdrawal:{user.pk}:k1",
            entry.kind,
            entry.status,
            entry.description,
            entry.created_by_id == user.pk,
        ),
        "postings": sorted(
            (p.account.code.replace(f"user:{user.pk}:", "user:"), p.side, p.amount, p.currency)
            for p in entry.postings.select_related("account")
        ),
        "balance": (
            wallet_account(user, "CNY").available_balance,
            wallet_account(user, "CNY").posted_balance,
        ),
        "mail": (mail.status, mail.task_path, queued),
    }


@pytest.mark.parametrize("amount", [10_000, 300_000])  # requested; under review (large for level 1)
def test_the_function_writes_what_the_orm_path_writes(make_user, monkeypatch, amount):
    assert connection.vendor == "postgresql"
    by_orm, by_function = _customer(make_user, 1), _customer(make_user, 2)
    with monkeypatch.context() as patch:
        patch.setattr(withdrawals, "_write_postgres", withdrawals._write_python)
        orm = _submit(*by_orm, amount)
    function = _submit(*by_function, amount)
    assert orm.status == function.status
    assert function.entry.pk == function.entry_id and function.transaction.entry_id == function.entry_id
    assert _written(orm) == _written(function)
    assert _submit(*by_function, amount).pk == function.pk  # the same key: the same withdrawal
    assert ledger_verify() == []


def test_a_refused_hold_leaves_nothing(make_user):
    user, destination = _customer(make_user, 3, level=2)
    before = (
        Transaction.objects.count(),
        AuditEvent.objects.count(),
        JournalEntry.objects.count(),
        DBTaskResult.objects.count(),
    )
    with pytest.raises(DomainError) as refused:
        _submit(user, destination, 999_990)  # with the fee, more than the balance
    assert refused.value.code == "insufficient_funds"
    assert not Withdrawal.objects.filter(user=user).exists()
    after = (
        Transaction.objects.count(),
        AuditEvent.objects.count(),
        JournalEntry.objects.count(),
        DBTaskResult.objects.count(),
    )
    assert after == before
    assert wallet_account(user, "CNY").available_balance == 1_000_000
