"""Telling both parties: an in-app notice and an email at each step, each written in the
recipient's language and time zone, with a link to the dispute as that party sees it. Sent after
the commit (email_send queues on commit; the notice row is part of the transaction). Internal notes
are never read here."""

import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from okpay.accounts import roles
from okpay.core import i18n
from okpay.core.mail import email_send
from okpay.core.money import format_money
from okpay.core.notices import notice_send

from .choices import DisputeStatus, Party
from .models import Dispute, DisputeMessage


def _zone(user):
    try:
        return zoneinfo.ZoneInfo(user.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        return None


def moment_text(moment, user) -> str:
    """A deadline as the user reads it: a date and time in their time zone and language."""
    with translation.override(i18n.normalise(user.language)):
        return date_format(timezone.localtime(moment, _zone(user)), "DATETIME_FORMAT")


def dispute_url(dispute: Dispute, party: str) -> str:
    if party == Party.MERCHANT:
        return reverse("merchant_disputes:detail", args=[dispute.number])
    if party == Party.OKPAY:
        return reverse("console:dispute", args=[dispute.number])
    return reverse("disputes:detail", args=[dispute.number])


def _tell(dispute: Dispute, user, party: str, write: Callable[[], tuple[str, str]]) -> None:
    """`write()` returns (headline, detail), called in the recipient's language and time zone."""
    language = i18n.normalise(user.language)
    with translation.override(language), timezone.override(_zone(user)):
        headline, detail = write()
    url = dispute_url(dispute, party)
    notice_send(user=user, title=headline, body=detail, url=url)
    email_send(
        to=user.email,
        template="disputes/email/update",
        context={
            "user": user,
            "dispute": dispute,
            "headline": headline,
            "detail": detail,
            "url": settings.SITE_URL + url,
        },
        language=language,
        time_zone=user.time_zone,
    )


def _amount(dispute: Dispute, amount_minor: int | None) -> str:
    return format_money(amount_minor or 0, dispute.currency, translation.get_language() or i18n.ZH)


def _due(moment) -> str:
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT") if moment else ""


def _payment(dispute: Dispute) -> str:
    payment = dispute.payment
    amount = format_money(payment.amount_minor, payment.currency, translation.get_language() or i18n.ZH)
    return f"{payment.description} · {amount}"


def merchant_contacted(dispute: Dispute, message: DisputeMessage) -> None:
    _tell(
        dispute,
        dispute.merchant,
        Party.MERCHANT,
        lambda: (
            _("A customer needs your help with a payment (%(number)s)") % {"number": dispute.number},
            _(
                "%(customer)s wrote about the payment “%(payment)s”: “%(body)s” Answer by %(date)s; "
                "after that "
                "the customer can open a dispute and the amount is held on your balance."
            )
            % {
                "customer": dispute.customer.display_name,
                "payment": _payment(dispute),
                "body": message.body[:300],
                "date": _due(dispute.merchant_answer_due_at),
            },
        ),
    )


def merchant_refused(dispute: Dispute, message: DisputeMessage) -> None:
    _tell(
        dispute,
        dispute.customer,
        Party.CUSTOMER,
        lambda: (
            _("The merchant declined your request (%(number)s)") % {"number": dispute.number},
            _("%(merchant)s wrote: “%(body)s” You can now open a dispute; OKPay will review it.")
            % {"merchant": dispute.merchant.display_name, "body": message.body[:300]},
        ),
    )


def message_added(dispute: Dispute, message: DisputeMessage) -> None:
    recipients = []
    if message.party != Party.CUSTOMER:
        recipients.append((dispute.customer, Party.CUSTOMER))
    if message.party != Party.MERCHANT:
        recipients.append((dispute.merchant, Party.MERCHANT))
    for user, party in recipients:
        _tell(
            dispute,
            user,
            party,
            lambda: (
                _("New message about %(number)s") % {"number": dispute.number},
                message.body[:500],
            ),
        )


def may_open_now(dispute: Dispute) -> None:
    _tell(
        dispute,
        dispute.customer,
        Party.CUSTOMER,
        lambda: (
            _("You can now open a dispute (%(number)s)") % {"number": dispute.number},
            _(
                "The merchant's time to solve the problem has passed. If it is still not solved, "
                "open a dispute "
                "from the conversation's page; you can do so until %(date)s."
            )
            % {"date": _due(_filing_deadline(dispute))},
        ),
    )


def _filing_deadline(dispute: Dispute):
    from .policy import filing_deadline

    return filing_deadline(dispute.payment.created_at)


def merchant_reminder(dispute: Dispute) -> None:
    _tell(
        dispute,
        dispute.merchant,
        Party.MERCHANT,
        lambda: (
            _("Reminder: respond to dispute %(number)s by %(date)s")
            % {"number": dispute.number, "date": _due(dispute.response_due_at)},
            _(
                "If you do not respond by then, the dispute is decided for the customer and %(amount)s "
                "is refunded "
                "from your balance."
            )
            % {"amount": _amount(dispute, dispute.amount_minor)},
        ),
    )


def evidence_added(dispute: Dispute, *, party: str, count: int) -> None:
    for user, to in ((dispute.customer, Party.CUSTOMER), (dispute.merchant, Party.MERCHANT)):
        if to == party:
            continue
        _tell(
            dispute,
            user,
            to,
            lambda: (
                _("New evidence in dispute %(number)s") % {"number": dispute.number},
                _("%(count)d file(s) were added. You can see them on the dispute's page.") % {"count": count},
            ),
        )


def review_overdue(dispute: Dispute) -> None:
    """OKPay's own deadline passed: every supervisor gets a notice (the parties see the date on the page)."""
    from django.contrib.auth import get_user_model

    for user in get_user_model().objects.filter(is_active=True, role__in=roles.SUPERVISOR_ROLES):
        with translation.override(i18n.normalise(user.language)):
            notice_send(
                user=user,
                title=_("Dispute %(number)s is past its review date") % {"number": dispute.number},
                body="",
                url=dispute_url(dispute, Party.OKPAY),
            )


def _decision_text(dispute: Dispute, party: str) -> str:
    if dispute.refunded_minor:
        return _("Refund to the customer: %(amount)s.") % {"amount": _amount(dispute, dispute.refunded_minor)}
    return _("No refund.")


def status_changed(dispute: Dispute, *, previous: str, code: str) -> None:
    """What each party is told when the status changes (the timeline shows the same)."""
    status = dispute.status
    last = dispute.events.order_by("-pk").first()
    for user, party in ((dispute.customer, Party.CUSTOMER), (dispute.merchant, Party.MERCHANT)):
        write = _status_text(dispute, party, status=status, previous=previous, code=code, last=last)
        if write is not None:
            _tell(dispute, user, party, write)


def _status_text(dispute, party, *, status, previous, code, last):
    number = dispute.number
    customer = party == Party.CUSTOMER
    note = (last.note_customer if customer else last.note_merchant) if last else ""
    if status == DisputeStatus.OPEN:
        if customer:
            return lambda: (
                _("Your dispute %(number)s is open") % {"number": number},
                _("%(amount)s is held on the merchant's balance. The merchant has until %(date)s to respond.")
                % {"amount": _amount(dispute, dispute.amount_minor), "date": _due(dispute.response_due_at)},
            )
        return lambda: (
            _("A dispute was opened on a payment to you (%(number)s)") % {"number": number},
            _(
                "%(amount)s is held on your balance. Accept (refund) or contest it with evidence "
                "by %(date)s; "
                "without a response the dispute is decided for the customer."
            )
            % {"amount": _amount(dispute, dispute.amount_minor), "date": _due(dispute.response_due_at)},
        )
    if status == DisputeStatus.MERCHANT_RESPONDED and previous == DisputeStatus.OPEN:
        return lambda: (
            _("The merchant contested dispute %(number)s") % {"number": number}
            if customer
            else _("Your response to dispute %(number)s was received") % {"number": number},
            _("OKPay reviews both sides' evidence and decides by %(date)s.")
            % {"date": _due(dispute.review_due_at)},
        )
    if status in (
        DisputeStatus.RESOLVED_CUSTOMER,
        DisputeStatus.RESOLVED_PARTIAL,
        DisputeStatus.RESOLVED_MERCHANT,
    ):

        def write():
            if code == "merchant_accepted":
                headline = _("The merchant accepted dispute %(number)s") % {"number": number}
            elif code == "merchant_no_response":
                headline = _("Dispute %(number)s was decided: the merchant did not respond in time") % {
                    "number": number
                }
            else:
                headline = _("OKPay decided dispute %(number)s") % {"number": number}
            detail = " ".join(filter(None, [_decision_text(dispute, party), note]))
            if dispute.decided_by_id and dispute.appeal_until:
                detail += " " + _(
                    "If you disagree and have new evidence, you can appeal once until %(date)s."
                ) % {"date": _due(dispute.appeal_until)}
            return headline, detail

        return write
    if status == DisputeStatus.APPEALED:
        return lambda: (
            _("Dispute %(number)s was appealed") % {"number": number},
            _("Another reviewer looks at it again and decides by %(date)s.")
            % {"date": _due(dispute.review_due_at)},
        )
    if status == DisputeStatus.FINAL and previous == DisputeStatus.APPEALED:
        return lambda: (
            _("Final decision on dispute %(number)s") % {"number": number},
            " ".join(filter(None, [_decision_text(dispute, party), note])),
        )
    if status == DisputeStatus.WITHDRAWN and previous != DisputeStatus.MERCHANT_CONTACT:
        return lambda: (
            _("Dispute %(number)s was withdrawn") % {"number": number},
            _("The customer withdrew the dispute; any amount held was released."),
        )
    return None
