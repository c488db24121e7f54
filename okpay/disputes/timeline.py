"""A dispute's timeline in words, for the party reading it (customer, merchant or OKPay): each event
with when, who and what, and the decision's note written for that party. Pages, the API and the
console read it from here; internal notes are not events and never appear."""

from dataclasses import dataclass
from datetime import datetime

from django.utils import translation
from django.utils.translation import gettext as _

from okpay.core import i18n
from okpay.core.money import format_money

from .choices import DisputeStatus, Outcome, Party
from .models import Dispute, DisputeEvent


@dataclass(frozen=True)
class Row:
    at: datetime
    who: str
    text: str
    note: str
    reason: str
    code: str


def _who(event: DisputeEvent, viewer_party: str) -> str:
    if event.party == viewer_party and viewer_party in (Party.CUSTOMER, Party.MERCHANT):
        return _("You")
    return str(Party(event.party).label) if event.party in Party.values else ""


def _money(dispute: Dispute, amount: int | None) -> str:
    return format_money(amount or 0, dispute.currency, translation.get_language() or i18n.ZH)


def event_text(dispute: Dispute, event: DisputeEvent) -> str:
    code = event.code
    outcome = str(Outcome(dispute.outcome).label) if dispute.outcome in Outcome.values else ""
    if code == "contacted":
        return _("Conversation with the merchant started")
    if code == "merchant_refused":
        return _("The merchant declined the request")
    if code == "merchant_answer_time_over":
        return _("The merchant's time to solve the problem passed: the dispute can be opened")
    if code == "opened":
        return _("Dispute opened: %(amount)s held on the merchant's balance") % {
            "amount": _money(dispute, dispute.held_minor)
        }
    if code == "merchant_contested":
        return _("The merchant contested the dispute")
    if code in ("review_started", "appeal_review_started"):
        return _("OKPay started the review")
    if code == "decided":
        label = DisputeStatus(event.to_status).label if event.to_status in DisputeStatus.values else outcome
        return _("OKPay decided: %(decision)s") % {"decision": label}
    if code == "merchant_accepted":
        return _("The merchant accepted the dispute: full refund")
    if code == "merchant_no_response":
        return _("The merchant did not respond in time: decided for the customer, full refund")
    if code == "appealed":
        return _("The decision was appealed")
    if code == "appeal_decided":
        return _("Final decision after the appeal: %(decision)s") % {"decision": outcome}
    if code == "appeal_window_closed":
        return _("The time to appeal passed: the decision is final")
    if code == "withdrawn":
        return _("The customer withdrew the dispute")
    if code == "evidence_added":
        return _("Evidence added")
    if code == "refunded":
        return _("Refunded to the customer: %(amount)s") % {"amount": _money(dispute, event.amount_minor)}
    if code == "reversed":
        return _("Returned to the merchant after the appeal: %(amount)s") % {
            "amount": _money(dispute, event.amount_minor)
        }
    if code == "collected":
        return _("Amount owed taken from the balance: %(amount)s") % {
            "amount": _money(dispute, event.amount_minor)
        }
    if event.to_status in DisputeStatus.values:
        return _("Status: %(status)s") % {"status": DisputeStatus(event.to_status).label}
    return code


def timeline(dispute: Dispute, events, *, party: str) -> list[Row]:
    rows = []
    for event in events:
        if party == Party.CUSTOMER:
            note = event.note_customer
        elif party == Party.MERCHANT:
            note = event.note_merchant
        else:
            note = "\n".join(
                filter(
                    None,
                    [
                        event.note_customer
                        and _("To the customer: %(note)s") % {"note": event.note_customer},
                        event.note_merchant
                        and _("To the merchant: %(note)s") % {"note": event.note_merchant},
                    ],
                )
            )
        rows.append(
            Row(
                at=event.created_at,
                who=_who(event, party),
                text=event_text(dispute, event),
                note=note,
                reason=event.reason,
                code=event.code,
            )
        )
    return rows
