"""Disputes end to end in the domain: contact → open (hold) → respond → review → decision → appeal,
with the ledger verified after every path, and the refusals that change nothing."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from okpay.disputes import actions
from okpay.disputes.choices import DisputeStatus, Outcome
from okpay.disputes.errors import DisputeError
from okpay.disputes.models import Dispute, DisputeDeadline, Evidence
from okpay.wallet.actions import payment_create, topup_demo
from okpay.wallet.ledger import ledger_verify, wallet_account

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def png(name="shot.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def balance(user, currency="CNY"):
    account = wallet_account(user, currency)
    account.refresh_from_db()
    return account.available_balance


@pytest.fixture
def shop(make_user):
    return make_user(email="shop@example.com", role="merchant", full_name="小店")


@pytest.fixture
def paid(customer, shop):
    topup_demo(user=customer, amount_minor=100_000, currency="CNY", key="seed")
    return payment_create(
        customer=customer, merchant=shop, amount_minor=20_000, currency="CNY", description="耳机", key="p1"
    )


@pytest.fixture
def reviewers(make_user):
    return make_user(email="r1@okpay.example", role="agent"), make_user(
        email="r2@okpay.example", role="agent"
    )


def contacted(customer, paid):
    return actions.dispute_contact_start(
        customer=customer, payment_id=paid.pk, body="还没收到货", files=[png()]
    )


def opened(customer, paid, shop, amount=20_000, reason="not_received"):
    dispute = contacted(customer, paid)
    actions.dispute_merchant_refuse(merchant=shop, dispute_id=dispute.pk, body="已发货")
    return actions.dispute_open(
        customer=customer,
        payment_id=paid.pk,
        reason=reason,
        amount_minor=amount,
        description="物流一直没有更新",
        files=[png("tracking.png")],
    )


def test_contact_then_open_holds_the_disputed_amount_on_the_merchant(customer, shop, paid):
    merchant_before = balance(shop)
    dispute = contacted(customer, paid)
    assert dispute.status == DisputeStatus.MERCHANT_CONTACT
    assert dispute.merchant_answer_due_at > timezone.now()
    assert Evidence.objects.filter(dispute=dispute).count() == 1  # the message's screenshot
    with pytest.raises(DisputeError) as refused:
        actions.dispute_open(
            customer=customer, payment_id=paid.pk, reason="not_received", amount_minor=20_000, description="x"
        )
    assert refused.value.code == "merchant_has_time"
    actions.dispute_merchant_refuse(merchant=shop, dispute_id=dispute.pk, body="已发货")
    dispute = actions.dispute_open(
        customer=customer, payment_id=paid.pk, reason="not_received", amount_minor=15_000, description="x"
    )
    assert dispute.status == DisputeStatus.OPEN
    assert dispute.held_minor == 15_000
    assert balance(shop) == merchant_before - 15_000
    assert dispute.response_due_at > timezone.now()
    assert set(
        DisputeDeadline.objects.filter(dispute=dispute, fired_at=None, canceled_at=None).values_list(
            "kind", flat=True
        )
    ) == {"merchant_response", "merchant_reminder"}
    assert ledger_verify() == []


def test_a_second_dispute_on_the_same_payment_is_refused(customer, shop, paid):
    opened(customer, paid, shop)
    with pytest.raises(DisputeError) as refused:
        actions.dispute_contact_start(customer=customer, payment_id=paid.pk, body="again")
    assert refused.value.code == "dispute_exists" and refused.value.status == 409
    assert Dispute.objects.count() == 1


def test_outside_the_filing_window_is_refused(customer, shop, paid):
    type(paid).objects.filter(pk=paid.pk).update(created_at=timezone.now() - timedelta(days=181))
    with pytest.raises(DisputeError) as refused:
        contacted(customer, paid)
    assert refused.value.code == "filing_window_closed"
    assert Dispute.objects.count() == 0


def test_more_than_the_payment_is_refused(customer, shop, paid):
    dispute = contacted(customer, paid)
    actions.dispute_merchant_refuse(merchant=shop, dispute_id=dispute.pk, body="no")
    with pytest.raises(DisputeError) as refused:
        actions.dispute_open(
            customer=customer, payment_id=paid.pk, reason="other", amount_minor=20_001, description="x"
        )
    assert refused.value.code == "amount_too_large"
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.MERCHANT_CONTACT and dispute.held_minor == 0


def test_unauthorized_opens_at_once_and_is_urgent(customer, shop, paid):
    dispute = actions.dispute_open(
        customer=customer,
        payment_id=paid.pk,
        reason="unauthorized",
        amount_minor=20_000,
        description="不是我",
    )
    assert dispute.status == DisputeStatus.OPEN and dispute.is_urgent


def test_other_reasons_must_contact_the_merchant_first(customer, shop, paid):
    with pytest.raises(DisputeError) as refused:
        actions.dispute_open(
            customer=customer, payment_id=paid.pk, reason="not_received", amount_minor=20_000, description="x"
        )
    assert refused.value.code == "contact_merchant_first"


def test_a_stranger_gets_not_found(customer, shop, paid, make_user):
    stranger = make_user(email="who@example.com")
    dispute = contacted(customer, paid)
    with pytest.raises(DisputeError) as refused:
        actions.dispute_message_add(user=stranger, dispute_id=dispute.pk, body="hi")
    assert refused.value.status == 404
    with pytest.raises(DisputeError) as refused:
        actions.dispute_contact_start(customer=stranger, payment_id=paid.pk, body="mine?")
    assert refused.value.status == 404


def test_merchant_accepts_and_the_customer_is_refunded_in_full(customer, shop, paid):
    customer_before, merchant_before = balance(customer), balance(shop)
    dispute = opened(customer, paid, shop)
    dispute = actions.dispute_merchant_accept(merchant=shop, dispute_id=dispute.pk)
    assert dispute.status == DisputeStatus.RESOLVED_CUSTOMER and dispute.outcome == Outcome.REFUND_FULL
    assert balance(customer) == customer_before + 20_000
    # the merchant received 19,880 (the fee stays with OKPay): it pays all of that and owes the 120 left
    assert merchant_before == 19_880 and balance(shop) == 0
    assert dispute.merchant_owes_minor == 120
    paid.refresh_from_db()
    assert paid.refunded_minor == 20_000
    assert ledger_verify() == []
    with pytest.raises(DisputeError) as refused:  # nobody decided: nothing to appeal
        actions.dispute_appeal(user=shop, dispute_id=dispute.pk, reason="changed my mind", files=[png()])
    assert refused.value.code == "not_appealable"


def test_partial_refund_decision_then_appeal_to_another_reviewer_reverses_it(customer, shop, paid, reviewers):
    first, second = reviewers
    customer_before, merchant_before = balance(customer), balance(shop)
    dispute = opened(customer, paid, shop)
    actions.dispute_merchant_contest(
        merchant=shop, dispute_id=dispute.pk, statement="已签收", files=[png("sig.png")]
    )
    actions.dispute_review_start(reviewer=first, dispute_id=dispute.pk)
    dispute = actions.dispute_decide(
        reviewer=first,
        dispute_id=dispute.pk,
        outcome="refund_partial",
        amount_minor=5_000,
        note_customer="部分退款",
        note_merchant="partial",
    )
    assert dispute.status == DisputeStatus.RESOLVED_PARTIAL
    assert balance(customer) == customer_before + 5_000
    assert balance(shop) == merchant_before - 5_000
    dispute = actions.dispute_appeal(
        user=shop, dispute_id=dispute.pk, reason="签收记录", files=[png("pod.png")]
    )
    assert dispute.status == DisputeStatus.APPEALED
    with pytest.raises(DisputeError) as refused:
        actions.dispute_decide(
            reviewer=first, dispute_id=dispute.pk, outcome="rejected", note_customer="a", note_merchant="b"
        )
    assert refused.value.code == "same_reviewer"
    dispute = actions.dispute_decide(
        reviewer=second, dispute_id=dispute.pk, outcome="rejected", note_customer="驳回", note_merchant="ok"
    )
    assert dispute.status == DisputeStatus.FINAL and dispute.outcome == Outcome.REJECTED
    assert balance(customer) == customer_before
    assert balance(shop) == merchant_before
    paid.refresh_from_db()
    assert paid.refunded_minor == 0
    assert ledger_verify() == []
    with pytest.raises(DisputeError):
        actions.dispute_appeal(user=customer, dispute_id=dispute.pk, reason="again", files=[png()])


def test_rejection_releases_the_hold(customer, shop, paid, reviewers):
    merchant_before = balance(shop)
    dispute = opened(customer, paid, shop)
    actions.dispute_merchant_contest(merchant=shop, dispute_id=dispute.pk, statement="no")
    actions.dispute_review_start(reviewer=reviewers[0], dispute_id=dispute.pk)
    dispute = actions.dispute_decide(
        reviewer=reviewers[0], dispute_id=dispute.pk, outcome="rejected", note_customer="a", note_merchant="b"
    )
    assert dispute.status == DisputeStatus.RESOLVED_MERCHANT
    assert balance(shop) == merchant_before
    assert ledger_verify() == []


def test_merchant_short_of_balance_owes_the_rest_and_it_is_collected_later(customer, shop, paid, make_user):
    from okpay.wallet.ledger import Line, entry_create, system_account

    # the merchant spent most of the payment: 19,880 received, 19,000 moved out
    entry_create(
        key="spend",
        kind="payment",
        lines=[
            Line(wallet_account(shop, "CNY"), "debit", 19_000),
            Line(system_account("external", "CNY"), "credit", 19_000),
        ],
    )
    customer_before = balance(customer)
    dispute = opened(customer, paid, shop)
    assert dispute.held_minor == 880
    dispute = actions.dispute_merchant_accept(merchant=shop, dispute_id=dispute.pk)
    assert balance(customer) == customer_before + 20_000  # the customer gets the whole decision
    assert dispute.merchant_owes_minor == 20_000 - 880
    assert balance(shop) == 0
    assert ledger_verify() == []
    topup_demo(user=shop, amount_minor=50_000, currency="CNY", key="later")
    assert actions.dispute_debts_collect() == 1
    dispute.refresh_from_db()
    assert dispute.merchant_owes_minor == 0
    assert balance(shop) == 50_000 - 19_120
    assert ledger_verify() == []


def test_no_merchant_response_by_the_deadline_decides_for_the_customer_once(customer, shop, paid):
    customer_before = balance(customer)
    dispute = opened(customer, paid, shop)
    later = dispute.response_due_at + timedelta(minutes=1)
    from unittest import mock

    with mock.patch("django.utils.timezone.now", return_value=later):
        fired = actions.disputes_deadlines_due()
        again = actions.disputes_deadlines_due()
    assert fired == 2 and again == 0  # the reminder and the response deadline, each once
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.RESOLVED_CUSTOMER
    assert balance(customer) == customer_before + 20_000
    assert ledger_verify() == []


def test_a_deadline_does_not_fire_once_the_state_moved_on(customer, shop, paid):
    dispute = opened(customer, paid, shop)
    deadline = DisputeDeadline.objects.get(dispute=dispute, kind="merchant_response", fired_at=None)
    actions.dispute_merchant_contest(merchant=shop, dispute_id=dispute.pk, statement="no")
    deadline.refresh_from_db()
    assert deadline.canceled_at is not None
    from unittest import mock

    with mock.patch("django.utils.timezone.now", return_value=deadline.due_at + timedelta(minutes=1)):
        assert actions.dispute_deadline_fire(deadline_id=deadline.pk) is False
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.MERCHANT_RESPONDED


def test_evidence_is_immutable_and_hashed(customer, shop, paid):
    import hashlib

    from okpay.disputes.models import ImmutableError

    dispute = contacted(customer, paid)
    item = Evidence.objects.get(dispute=dispute)
    assert item.sha256 == hashlib.sha256(PNG).hexdigest()
    item.note = "changed"
    with pytest.raises(ImmutableError):
        item.save()
    with pytest.raises(ImmutableError):
        item.delete()


def test_evidence_type_and_count_rules(customer, shop, paid):
    dispute = contacted(customer, paid)
    fake = SimpleUploadedFile("shot.png", b"MZ\x90\x00 not an image", content_type="image/png")
    with pytest.raises(DisputeError) as refused:
        actions.evidence_add(user=customer, dispute_id=dispute.pk, files=[fake])
    assert refused.value.code == "bad_file"
    with pytest.raises(DisputeError) as refused:
        actions.evidence_add(user=customer, dispute_id=dispute.pk, files=[png(f"{i}.png") for i in range(11)])
    assert refused.value.code == "too_many_files"
    exe = SimpleUploadedFile("run.exe", b"MZ\x90\x00", content_type="application/octet-stream")
    with pytest.raises(DisputeError):
        actions.evidence_add(user=customer, dispute_id=dispute.pk, files=[exe])
    assert Evidence.objects.filter(dispute=dispute).count() == 1


def test_withdrawing_releases_the_hold(customer, shop, paid):
    merchant_before = balance(shop)
    dispute = opened(customer, paid, shop)
    dispute = actions.dispute_withdraw(customer=customer, dispute_id=dispute.pk, reason="收到了")
    assert dispute.status == DisputeStatus.WITHDRAWN
    assert balance(shop) == merchant_before
    assert ledger_verify() == []
