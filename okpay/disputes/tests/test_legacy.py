"""Questions with topic "dispute" in progress become disputes at the merchant step; nothing else moves."""

import pytest

from okpay.disputes.legacy import questions_to_disputes
from okpay.disputes.models import Dispute, DisputeDeadline, DisputeEvent, DisputeMessage
from okpay.tickets.models import Ticket, TicketMessage
from okpay.wallet.actions import payment_create, topup_demo
from okpay.wallet.models import Payment, Transaction

pytestmark = pytest.mark.django_db

MODELS = {
    "Ticket": Ticket,
    "TicketMessage": TicketMessage,
    "Payment": Payment,
    "Dispute": Dispute,
    "DisputeMessage": DisputeMessage,
    "DisputeEvent": DisputeEvent,
    "DisputeDeadline": DisputeDeadline,
}


def test_open_dispute_questions_become_disputes_once(customer, make_user):
    shop = make_user(email="shop@example.com", role="merchant")
    topup_demo(user=customer, amount_minor=100_000, currency="CNY", key="seed")
    payments = [
        payment_create(
            customer=customer, merchant=shop, amount_minor=1000, currency="CNY", description="x", key=k
        )
        for k in ("a", "b")
    ]

    def question(payment, status="new", topic="dispute"):
        row = Transaction.objects.get(user=customer, reference=f"payment:{payment.pk}")
        ticket = Ticket.objects.create(
            requester=customer,
            requester_email=customer.email,
            language="zh-hans",
            topic=topic,
            subject="没收到货",
            status=status,
            transaction=row,
        )
        TicketMessage.objects.create(ticket=ticket, kind="customer", author=customer, body="买的东西一直没到")
        return ticket

    moving = question(payments[0])
    question(payments[1], status="solved")
    question(payments[1], topic="payment")
    assert questions_to_disputes(**MODELS) == 1
    assert questions_to_disputes(**MODELS) == 0
    dispute = Dispute.objects.get()
    assert dispute.payment_id == payments[0].pk and dispute.status == "merchant_contact"
    assert dispute.messages.get().body == "买的东西一直没到"
    assert dispute.deadlines.get().kind == "merchant_answer"
    assert dispute.number in moving.messages.filter(kind="system").get().body
