"""The withdrawal emails are rendered by the task worker from plain values (`_email_context`), not in
the request from the objects: every template gives the same subject, text and HTML either way, in
both languages, and the mail sent after the commit is that one."""

import pytest
from django.utils import timezone

from okpay.core.mail import email_render
from okpay.payouts.models import PayoutDestination
from okpay.payouts.withdrawals import NOTIFIED, _email_context, withdrawal_submit
from okpay.wallet.actions import topup_demo

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _setup(settings):
    settings.OKPAY_PAYOUT_PROVIDER = "manual"
    from okpay.wallet.fx import rates_refresh

    rates_refresh()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_withdrawal_emails_render_the_same_later(make_user, language, committed, mailoutbox):
    user = make_user(
        email=f"later-{language}@example.com",
        full_name="<王 & Emma's>",
        language=language,
        time_zone="America/New_York",
        verification_level=1,
    )
    topup_demo(user=user, amount_minor=1_000_000, currency="CNY", key="seed")
    destination = PayoutDestination.objects.create(
        user=user,
        kind="ewallet",
        provider="alipay",
        account="ab@example.com",
        usable_for_large_after=timezone.now(),
    )
    with committed():
        withdrawal = withdrawal_submit(
            user=user,
            destination_id=destination.pk,
            amount_minor=12_345,
            currency="CNY",
            speed="standard",
            key="k",
        )
    withdrawal.failure_code = "account_closed"
    for template in ["submitted", *NOTIFIED.values()]:
        later = _email_context(withdrawal, language)
        now = {**later, "withdrawal": withdrawal, "user": user}  # what the request rendered before
        name = f"payouts/email/withdrawal_{template}"
        rendered = email_render(template=name, context=later, language=language, time_zone=user.time_zone)
        assert rendered == email_render(
            template=name, context=now, language=language, time_zone=user.time_zone
        )
        assert withdrawal.reference in rendered[0] and "<王 & Emma's>" in rendered[1]
    (mail,) = mailoutbox
    submitted = email_render(
        template="payouts/email/withdrawal_submitted",
        context={**_email_context(withdrawal, language), "withdrawal": withdrawal, "user": user},
        language=language,
        time_zone=user.time_zone,
    )
    html = {mimetype: content for content, mimetype in mail.alternatives}["text/html"]
    assert (mail.subject, mail.body, html) == submitted
