"""The dispute's one transition table, walked in full: every from × to × kind of actor is allowed
exactly when the table says, and a refused move changes neither the status nor the timeline. Plus
the deadlines on the Chinese business calendar, and the decision's notes reaching only their party."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from okpay.core.transitions import CUSTOMER, MERCHANT, SYSTEM
from okpay.disputes import actions, policy
from okpay.disputes.choices import DISPUTE_TRANSITIONS, DisputeStatus
from okpay.disputes.errors import DisputeError
from okpay.disputes.models import Dispute
from okpay.wallet.actions import payment_create, topup_demo

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def world(customer, make_user):
    shop = make_user(email="shop@example.com", role="merchant")
    agent = make_user(email="agent@okpay.example", role="agent")
    stranger = make_user(email="who@example.com")
    topup_demo(user=customer, amount_minor=100_000, currency="CNY", key="seed")
    payment = payment_create(
        customer=customer, merchant=shop, amount_minor=20_000, currency="CNY", description="x", key="p"
    )
    dispute = actions.dispute_contact_start(customer=customer, payment_id=payment.pk, body="hi")
    return dispute, {
        "customer": customer,
        "merchant": shop,
        "agent": agent,
        "stranger": stranger,
        "system": SYSTEM,
    }


def expected(current, to, who) -> bool:
    rules = DISPUTE_TRANSITIONS.get(current, {}).get(to, ())
    for rule in rules:
        if rule == CUSTOMER and who == "customer":
            return True
        if rule == MERCHANT and who == "merchant":
            return True
        if rule == SYSTEM and who == "system":
            return True
        if callable(rule) and who == "agent":
            return True
    return False


def test_every_move_for_every_actor_matches_the_table_and_refusals_change_nothing(world):
    dispute, actors = world
    for current in DisputeStatus.values:
        Dispute.objects.filter(pk=dispute.pk).update(status=current)
        dispute.refresh_from_db()
        for to in DisputeStatus.values:
            for who, actor in actors.items():
                allowed = actions.dispute_transition_allowed(dispute=dispute, to=to, actor=actor)
                assert allowed == expected(current, to, who), (current, to, who)
                if allowed:
                    continue
                events = dispute.events.count()
                with pytest.raises(DisputeError) as refused:
                    actions.dispute_transition(dispute=dispute, to=to, actor=actor)
                assert refused.value.status in (403, 409), (current, to, who)
                dispute.refresh_from_db()
                assert dispute.status == current and dispute.events.count() == events


def test_finished_states_have_no_way_out():
    assert DISPUTE_TRANSITIONS[DisputeStatus.FINAL] == {}
    assert DISPUTE_TRANSITIONS[DisputeStatus.WITHDRAWN] == {}


def test_deadlines_count_business_days_across_national_day_and_make_up_days():
    # 2025-09-30 (Tue) 10:00: National Day and Mid-Autumn run 1–8 October; Sunday 28 September and
    # Saturday 11 October are make-up working days
    # (business days after the 30th: Thu 9 Oct, Fri 10 Oct, Sat 11 Oct)
    contacted = datetime(2025, 9, 30, 10, 0, tzinfo=SHANGHAI)
    assert policy.merchant_answer_due(contacted) == datetime(2025, 10, 11, 10, 0, tzinfo=SHANGHAI)
    opened = datetime(2025, 9, 26, 10, 0, tzinfo=SHANGHAI)  # Friday; the 28th (Sunday) is worked
    assert policy.merchant_answer_due(opened) == datetime(2025, 9, 30, 10, 0, tzinfo=SHANGHAI)
    # an ordinary week: Friday + 3 business days is Wednesday
    assert policy.merchant_answer_due(datetime(2025, 11, 14, 9, 0, tzinfo=SHANGHAI)) == datetime(
        2025, 11, 19, 9, 0, tzinfo=SHANGHAI
    )
    due = policy.merchant_response_due(datetime(2025, 11, 14, 9, 0, tzinfo=SHANGHAI))
    reminder = policy.merchant_reminder_at(due)
    assert reminder < due and reminder.time() == due.time()


def test_decision_notes_reach_only_their_party_by_email_and_notice(world, committed, mailoutbox):
    from okpay.core.models import Notice

    dispute, actors = world
    actions.dispute_merchant_refuse(merchant=actors["merchant"], dispute_id=dispute.pk, body="no")
    actions.dispute_open(
        customer=actors["customer"],
        payment_id=dispute.payment_id,
        reason="other",
        amount_minor=20_000,
        description="x",
    )
    actions.dispute_merchant_contest(merchant=actors["merchant"], dispute_id=dispute.pk, statement="no")
    actions.dispute_review_start(reviewer=actors["agent"], dispute_id=dispute.pk)
    actions.dispute_note_add(author=actors["agent"], dispute_id=dispute.pk, body="INTERNAL-ONLY")
    with committed():
        actions.dispute_decide(
            reviewer=actors["agent"],
            dispute_id=dispute.pk,
            outcome="rejected",
            note_customer="FOR-CUSTOMER",
            note_merchant="FOR-MERCHANT",
        )
    by_address = {}
    for message in mailoutbox:
        by_address.setdefault(message.to[0], []).append(message.body + str(message.alternatives))
    customer_mail = " ".join(by_address[actors["customer"].email])
    merchant_mail = " ".join(by_address[actors["merchant"].email])
    assert "FOR-CUSTOMER" in customer_mail and "FOR-MERCHANT" not in customer_mail
    assert "FOR-MERCHANT" in merchant_mail and "FOR-CUSTOMER" not in merchant_mail
    assert "INTERNAL-ONLY" not in customer_mail + merchant_mail
    notices = " ".join(Notice.objects.values_list("body", flat=True))
    assert "INTERNAL-ONLY" not in notices


def test_a_review_past_its_date_tells_the_supervisors_only(world, make_user):
    from datetime import timedelta
    from unittest import mock

    from okpay.core.models import Notice
    from okpay.disputes.models import DisputeDeadline

    dispute, actors = world
    boss = make_user(email="boss@okpay.example", role="supervisor")
    actions.dispute_merchant_refuse(merchant=actors["merchant"], dispute_id=dispute.pk, body="no")
    actions.dispute_open(
        customer=actors["customer"],
        payment_id=dispute.payment_id,
        reason="other",
        amount_minor=1000,
        description="x",
    )
    actions.dispute_merchant_contest(merchant=actors["merchant"], dispute_id=dispute.pk, statement="no")
    deadline = DisputeDeadline.objects.get(dispute=dispute, kind="review", fired_at=None, canceled_at=None)
    with mock.patch("django.utils.timezone.now", return_value=deadline.due_at + timedelta(minutes=1)):
        assert actions.dispute_deadline_fire(deadline_id=deadline.pk) is True
    overdue = Notice.objects.filter(url=f"/console/disputes/{dispute.number}/")
    assert list(overdue.values_list("user__email", flat=True)) == [boss.email]
