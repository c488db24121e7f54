"""Before disputes existed, a dispute was a question (ticket) with topic "dispute". Migration 0003
carries every such question still in progress, on a payment of its own customer, into a dispute at
the "talking to the merchant" step — its text as the first message to the merchant, the merchant's
3 business days counted from the migration — and leaves a note on the question, so nothing in
flight is lost. Written against the models it is given (the migration's historical ones, or the
real ones in the test)."""

from django.utils import timezone

from . import policy

NOTE = {
    "en": "This question continues as dispute {number}: {url} — the merchant has been asked to answer.",
    "zh-hans": "此问题已转为交易纠纷 {number}：{url}，已请商户答复。",
}


def questions_to_disputes(
    *, Ticket, TicketMessage, Payment, Dispute, DisputeMessage, DisputeEvent, DisputeDeadline
):
    now = timezone.now()
    moved = 0
    questions = Ticket.objects.filter(
        topic="dispute", requester__isnull=False, transaction__isnull=False
    ).exclude(status__in=("solved", "closed"))
    for ticket in questions.select_related("transaction").order_by("pk"):
        reference = ticket.transaction.reference or ""
        if ticket.transaction.kind != "payment" or not reference.startswith("payment:"):
            continue
        payment = Payment.objects.filter(
            pk=int(reference.split(":")[1]), customer_id=ticket.requester_id
        ).first()
        if payment is None or Dispute.objects.filter(payment=payment).exists():
            continue
        first = (
            TicketMessage.objects.filter(ticket=ticket, kind="customer").order_by("created_at", "pk").first()
        )
        due = policy.merchant_answer_due(now)
        from .models import dispute_number_new

        dispute = Dispute.objects.create(
            number=dispute_number_new(),
            payment=payment,
            customer_id=payment.customer_id,
            merchant_id=payment.merchant_id,
            currency=payment.currency,
            status="merchant_contact",
            merchant_answer_due_at=due,
            created_at=now,
            updated_at=now,
        )
        DisputeMessage.objects.create(
            dispute=dispute,
            author_id=ticket.requester_id,
            party="customer",
            body=(first.body if first else ticket.subject)[:4000],
            created_at=now,
        )
        DisputeEvent.objects.create(
            dispute=dispute,
            kind="status",
            party="customer",
            actor_id=ticket.requester_id,
            code="contacted",
            to_status="merchant_contact",
            reason=ticket.number,
            created_at=now,
        )
        DisputeDeadline.objects.create(
            dispute=dispute, kind="merchant_answer", for_status="merchant_contact", due_at=due
        )
        text = NOTE["en" if ticket.language == "en" else "zh-hans"]
        TicketMessage.objects.create(
            ticket=ticket,
            kind="system",
            body=text.format(number=dispute.number, url=f"/account/disputes/{dispute.number}/"),
        )
        moved += 1
    return moved
