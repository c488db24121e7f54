"""Disputes (交易纠纷): states and their one transition table, reasons, evidence kinds, who acted,
deadline kinds. The numbers (windows, deadlines, evidence limits) are policy: data/disputes.json."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from okpay.accounts.roles import can_decide_disputes
from okpay.core.transitions import CUSTOMER, MERCHANT, SYSTEM, Table


class DisputeStatus(models.TextChoices):
    MERCHANT_CONTACT = "merchant_contact", _("Talking to the merchant")
    OPEN = "open", _("Waiting for the merchant's response")
    MERCHANT_RESPONDED = "merchant_responded", _("Merchant responded, waiting for review")
    UNDER_REVIEW = "under_review", pgettext_lazy("dispute status", "Under review by OKPay")
    RESOLVED_CUSTOMER = "resolved_customer", _("Resolved: full refund")
    RESOLVED_PARTIAL = "resolved_partial", _("Resolved: partial refund")
    RESOLVED_MERCHANT = "resolved_merchant", _("Resolved: no refund")
    APPEALED = "appealed", _("Appealed, waiting for a second review")
    FINAL = "final", pgettext_lazy("dispute status", "Closed")
    WITHDRAWN = "withdrawn", pgettext_lazy("dispute status", "Withdrawn")


RESOLVED_STATUSES = (
    DisputeStatus.RESOLVED_CUSTOMER,
    DisputeStatus.RESOLVED_PARTIAL,
    DisputeStatus.RESOLVED_MERCHANT,
)
# the merchant's balance is held for the disputed amount in these
HELD_STATUSES = (DisputeStatus.OPEN, DisputeStatus.MERCHANT_RESPONDED, DisputeStatus.UNDER_REVIEW)
# a reviewer has work to do
REVIEW_QUEUE_STATUSES = (
    DisputeStatus.MERCHANT_RESPONDED,
    DisputeStatus.UNDER_REVIEW,
    DisputeStatus.APPEALED,
)
FINISHED_STATUSES = (DisputeStatus.FINAL, DisputeStatus.WITHDRAWN)
ACTIVE_STATUSES = tuple(s for s in DisputeStatus.values if s not in FINISHED_STATUSES)

# The one table of a dispute's life (okpay.core.transitions): CUSTOMER is the payer who disputes,
# MERCHANT the payee, SYSTEM the deadlines (the merchant's response time, the appeal window),
# can_decide_disputes OKPay's reviewers. Who of two parties may appeal is the party that lost: the
# table names it per outcome. Only actions.dispute_transition changes a status; money follows there.
DISPUTE_TRANSITIONS: Table = {
    DisputeStatus.MERCHANT_CONTACT: {
        DisputeStatus.OPEN: (CUSTOMER,),
        DisputeStatus.WITHDRAWN: (CUSTOMER,),
    },
    DisputeStatus.OPEN: {
        DisputeStatus.MERCHANT_RESPONDED: (MERCHANT,),
        DisputeStatus.RESOLVED_CUSTOMER: (MERCHANT, SYSTEM),  # accepts / does not respond in time
        DisputeStatus.WITHDRAWN: (CUSTOMER,),
    },
    DisputeStatus.MERCHANT_RESPONDED: {
        DisputeStatus.UNDER_REVIEW: (can_decide_disputes,),
        DisputeStatus.RESOLVED_CUSTOMER: (MERCHANT,),
        DisputeStatus.WITHDRAWN: (CUSTOMER,),
    },
    DisputeStatus.UNDER_REVIEW: {
        DisputeStatus.RESOLVED_CUSTOMER: (can_decide_disputes, MERCHANT),
        DisputeStatus.RESOLVED_PARTIAL: (can_decide_disputes,),
        DisputeStatus.RESOLVED_MERCHANT: (can_decide_disputes,),
        DisputeStatus.MERCHANT_RESPONDED: (can_decide_disputes,),  # back to the queue unassigned
        DisputeStatus.WITHDRAWN: (CUSTOMER,),
    },
    DisputeStatus.RESOLVED_CUSTOMER: {
        DisputeStatus.APPEALED: (MERCHANT,),
        DisputeStatus.FINAL: (SYSTEM,),
    },
    DisputeStatus.RESOLVED_PARTIAL: {
        DisputeStatus.APPEALED: (CUSTOMER, MERCHANT),
        DisputeStatus.FINAL: (SYSTEM,),
    },
    DisputeStatus.RESOLVED_MERCHANT: {
        DisputeStatus.APPEALED: (CUSTOMER,),
        DisputeStatus.FINAL: (SYSTEM,),
    },
    DisputeStatus.APPEALED: {
        DisputeStatus.FINAL: (can_decide_disputes,),
    },
    DisputeStatus.FINAL: {},
    DisputeStatus.WITHDRAWN: {},
}


class Reason(models.TextChoices):
    NOT_RECEIVED = "not_received", _("I paid but did not receive the item or service")
    NOT_AS_DESCRIBED = "not_as_described", _("The item or service is not as described")
    UNAUTHORIZED = "unauthorized", _("I did not make or authorise this payment")
    DUPLICATE = "duplicate", _("I was charged more than once")
    REFUND_NOT_RECEIVED = "refund_not_received", _("The merchant promised a refund I did not receive")
    SUBSCRIPTION_CANCELED = "subscription_canceled", _("I was charged after cancelling a subscription")
    OTHER = "other", pgettext_lazy("dispute reason", "Other")


class Outcome(models.TextChoices):
    REFUND_FULL = "refund_full", _("Full refund")
    REFUND_PARTIAL = "refund_partial", _("Partial refund")
    REJECTED = "rejected", _("No refund")


OUTCOME_STATUS = {
    Outcome.REFUND_FULL: DisputeStatus.RESOLVED_CUSTOMER,
    Outcome.REFUND_PARTIAL: DisputeStatus.RESOLVED_PARTIAL,
    Outcome.REJECTED: DisputeStatus.RESOLVED_MERCHANT,
}


class Party(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    MERCHANT = "merchant", _("Merchant")
    OKPAY = "okpay", _("OKPay")
    SYSTEM = "system", pgettext_lazy("dispute actor", "Automatic")


class EvidenceKind(models.TextChoices):
    SCREENSHOT = "screenshot", _("Screenshot")
    CHAT_LOG = "chat_log", _("Chat record")
    RECEIPT = "receipt", _("Receipt or invoice")
    PROOF_OF_DELIVERY = "proof_of_delivery", _("Proof of delivery")
    PROOF_OF_REFUND = "proof_of_refund", _("Proof of refund")
    OTHER = "other", pgettext_lazy("evidence kind", "Other")


class EventKind(models.TextChoices):
    STATUS = "status", _("Status changed")
    MESSAGE = "message", _("Message")
    EVIDENCE = "evidence", _("Evidence added")
    DEADLINE = "deadline", _("Deadline")
    MONEY = "money", _("Money moved")


class DeadlineKind(models.TextChoices):
    MERCHANT_ANSWER = "merchant_answer", _("Merchant's answer to the customer")
    MERCHANT_REMINDER = "merchant_reminder", _("Reminder to the merchant")
    MERCHANT_RESPONSE = "merchant_response", _("Merchant's response")
    REVIEW = "review", _("OKPay's decision")
    APPEAL_WINDOW = "appeal_window", _("Appeal window")
