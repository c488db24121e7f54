"""An international transfer's life (choices.TRANSFER_TRANSITIONS, docs/conventions.md "State
machines"): every move of the 6 × 6 matrix, for every kind of actor, is allowed or refused exactly as
written down; an allowed move carries the money, the customer's row and its timeline with it, and a
refused one changes nothing."""

import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from okpay.core.models import AuditEvent
from okpay.core.transitions import SYSTEM
from okpay.wallet.actions import topup_demo
from okpay.wallet.choices import TransferStatus
from okpay.wallet.errors import TransferTransitionForbidden, TransferTransitionRefused, WalletError
from okpay.wallet.fx import quote_create, rates_store
from okpay.wallet.international.actions import (
    international_cancel,
    international_review_decide,
    international_review_expire,
    international_settle,
    international_submit,
    transfer_transition,
)
from okpay.wallet.ledger import ledger_verify, wallet_account
from okpay.wallet.models import InternationalTransfer, TransactionEvent

STATUSES = [s.value for s in TransferStatus]
ACTORS = ["customer", "stranger", "agent", "supervisor", "admin", "system"]
REVIEWERS = {"supervisor", "admin"}
ALLOWED = {  # the graph as documented; who may make each move
    ("under_review", "pending"): REVIEWERS,
    ("under_review", "rejected"): REVIEWERS,
    ("under_review", "canceled"): {"customer", "system"},
    ("pending", "paid"): {"system"},
    ("pending", "canceled"): {"customer"},
}
TRANSACTION_STATUS = {"pending": "pending", "paid": "completed", "canceled": "canceled", "rejected": "failed"}
ENTRY_STATUS = {"pending": "pending", "paid": "posted", "canceled": "voided", "rejected": "voided"}
FIXTURE = (Path(__file__).parent / "fixtures" / "ecb-sample.xml").read_bytes()


@pytest.fixture
def people(make_user):
    sender = make_user(email="sender@example.com", verification_level=2)
    topup_demo(user=sender, amount_minor=5_000_000, currency="CNY", key="seed")
    return {
        "customer": sender,
        "stranger": make_user(email="stranger@example.com", verification_level=2),
        "agent": make_user(email="agent@example.com", role="agent"),
        "supervisor": make_user(email="supervisor@example.com", role="supervisor"),
        "admin": make_user(email="admin@example.com", role="admin"),
        "system": SYSTEM,
    }


@pytest.fixture
def rates(db):
    return rates_store(xml=FIXTURE)


def _transfer(sender, *, amount=50_000, key="") -> InternationalTransfer:
    quote = quote_create(
        user=sender,
        from_currency="CNY",
        to_currency="USD",
        source_amount_minor=amount,
        recipient_country="US",
    )
    return international_submit(
        user=sender,
        quote_id=quote.pk,
        key=key or uuid.uuid4().hex,
        recipient_name="John Smith",
        recipient_country="US",
        recipient_account="US-ACC-1",
        recipient_address="1 Main St, Springfield",
        sender_address="上海市浦东新区 1 号",
    )


def _in(status: str, sender) -> InternationalTransfer:
    """A submitted transfer (its money held by a pending entry), put in `status`."""
    transfer = _transfer(sender)
    InternationalTransfer.objects.filter(pk=transfer.pk).update(status=status)
    return InternationalTransfer.objects.select_related("transaction", "entry").get(pk=transfer.pk)


def _snapshot(transfer: InternationalTransfer):
    transfer = InternationalTransfer.objects.select_related("transaction", "entry").get(pk=transfer.pk)
    account = wallet_account(transfer.user, "CNY")
    return (
        transfer.status,
        transfer.paid_at,
        transfer.transaction.status,
        transfer.entry.status,
        TransactionEvent.objects.filter(transaction=transfer.transaction).count(),
        account.available_balance,
        account.posted_balance,
        AuditEvent.objects.filter(action__startswith="wallet.international").count(),
    )


@pytest.mark.parametrize("current", STATUSES)
@pytest.mark.parametrize("to", STATUSES)
@pytest.mark.parametrize("kind", ACTORS)
def test_every_move_for_every_actor(rates, people, current, to, kind):
    transfer = _in(current, people["customer"])
    actor = people[kind]
    if kind in ALLOWED.get((current, to), set()):
        moved = transfer_transition(transfer=transfer, to=to, actor=actor, note="checked")
        transfer = InternationalTransfer.objects.select_related("transaction", "entry").get(pk=transfer.pk)
        assert transfer.status == to == moved.status
        assert transfer.transaction.status == TRANSACTION_STATUS[to]
        event = transfer.transaction.events.last()
        assert (event.status, event.note) == (TRANSACTION_STATUS[to], "checked")  # the timeline
        assert transfer.entry.status == ENTRY_STATUS[to]  # the held money follows
        assert (transfer.paid_at is not None) == (to == "paid")
        if to != "paid":
            row = AuditEvent.objects.filter(action__startswith="wallet.international").latest("id")
            assert row.data["from"] == current and row.data["to"] == to
            assert row.subject_user == people["customer"]
        assert ledger_verify() == []
        return
    before = _snapshot(transfer)
    expected = TransferTransitionRefused if (current, to) not in ALLOWED else TransferTransitionForbidden
    with pytest.raises(expected) as refused:
        transfer_transition(transfer=transfer, to=to, actor=actor, note="checked")
    assert isinstance(refused.value, WalletError)
    assert refused.value.status == (409 if expected is TransferTransitionRefused else 403)
    assert _snapshot(transfer) == before  # status, money, transaction row, timeline, audit unchanged


def test_the_table_is_the_documented_graph():
    from okpay.wallet.choices import TRANSFER_INITIAL_STATUSES, TRANSFER_TRANSITIONS

    assert {(a, b) for a, moves in TRANSFER_TRANSITIONS.items() for b in moves} == set(ALLOWED)
    assert set(TRANSFER_TRANSITIONS) == set(STATUSES)
    assert set(TRANSFER_INITIAL_STATUSES) == {"pending", "under_review", "blocked"}


def test_audit_rows_say_who_moved_the_transfer(rates, people):
    canceled = _in("pending", people["customer"])
    transfer_transition(transfer=canceled, to="canceled", actor=people["customer"])
    expired = _in("under_review", people["customer"])
    transfer_transition(transfer=expired, to="canceled", actor=SYSTEM)
    approved = _in("under_review", people["customer"])
    transfer_transition(transfer=approved, to="pending", actor=people["supervisor"])
    rows = list(AuditEvent.objects.filter(action__startswith="wallet.international_").order_by("id"))
    assert [(r.action, r.actor) for r in rows if r.action != "wallet.international_submitted"] == [
        ("wallet.international_canceled", people["customer"]),
        ("wallet.international_review_expired", None),
        ("wallet.international_reviewed", people["supervisor"]),
    ]


def test_deadlines_refuse_or_wait_and_change_nothing(rates, people, time_machine):
    time_machine.move_to("2026-11-26 10:00:00+08:00", tick=False)
    sender = people["customer"]
    pending = _transfer(sender)
    assert international_settle(transfer_id=pending.pk) is False  # inside the 30 minutes: not yet
    assert _snapshot(pending)[0] == "pending"
    held = _transfer(sender, amount=900_000, key="k2")  # ≈ €1,096: reviewed
    assert held.status == "under_review"
    assert international_review_expire(transfer_id=held.pk) is False  # the 72 hours are not over
    time_machine.shift(timedelta(minutes=31))
    before = _snapshot(pending)
    with pytest.raises(TransferTransitionRefused) as late:
        international_cancel(user=sender, transfer_id=pending.pk)
    assert (late.value.code, late.value.status) == ("cannot_cancel", 409)
    assert _snapshot(pending) == before
    assert international_settle(transfer_id=pending.pk) is True
    assert international_settle(transfer_id=pending.pk) is False  # paid: a late task changes nothing
    with pytest.raises(TransferTransitionRefused, match="cannot_cancel"):
        international_cancel(user=sender, transfer_id=pending.pk)
    assert _snapshot(pending)[0] == "paid"
    with pytest.raises(WalletError, match="not_found"):
        international_cancel(user=people["stranger"], transfer_id=held.pk)  # not theirs: not found
    assert ledger_verify() == []


def test_review_decisions_check_the_move_before_anything_else(rates, people):
    held = _transfer(people["customer"], amount=900_000)
    before = _snapshot(held)
    with pytest.raises(TransferTransitionForbidden) as forbidden:
        international_review_decide(reviewer=people["agent"], transfer_id=held.pk, approve=True, note="ok")
    assert (forbidden.value.code, forbidden.value.status) == ("forbidden", 403)
    with pytest.raises(WalletError, match="note_required"):
        international_review_decide(
            reviewer=people["supervisor"], transfer_id=held.pk, approve=False, note=" "
        )
    assert _snapshot(held) == before
    international_review_decide(reviewer=people["supervisor"], transfer_id=held.pk, approve=False, note="no")
    with pytest.raises(TransferTransitionRefused) as again:
        international_review_decide(
            reviewer=people["supervisor"], transfer_id=held.pk, approve=True, note="ok"
        )
    assert (again.value.code, again.value.status) == ("not_under_review", 409)
    assert _snapshot(held)[0] == "rejected"


def test_the_receipt_offers_cancel_only_while_it_is_possible(rates, people, signed_in, time_machine):
    time_machine.move_to("2026-11-26 10:00:00+08:00", tick=False)
    transfer = _transfer(people["customer"])
    client = signed_in(people["customer"], Client())
    assert (
        f"/account/international/{transfer.pk}/cancel/"
        in client.get(f"/account/international/{transfer.pk}/").content.decode()
    )
    time_machine.shift(timedelta(minutes=31))
    page = client.get(f"/account/international/{transfer.pk}/").content.decode()
    assert f"/account/international/{transfer.pk}/cancel/" not in page
    before = _snapshot(transfer)
    refused = client.post(f"/account/international/{transfer.pk}/cancel/", follow=True)
    assert refused.status_code == 200 and _snapshot(transfer) == before
    assert timezone.now() >= transfer.cancel_until
