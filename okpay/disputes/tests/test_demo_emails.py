"""Issue 17, item 6: the emails the demo sends to Chinese-speaking customers and merchants are in
Chinese — their texts, and the reviewers' notes the demo writes to them."""

import re

import pytest
from django.core import mail

from okpay.core import hooks

pytestmark = pytest.mark.django_db

ENGLISH_SENTENCE = re.compile(r"[A-Za-z]{3,}(?: [A-Za-z,'’]{2,}){3,}")


def test_demo_dispute_emails_to_chinese_speakers_are_in_chinese(settings, django_capture_on_commit_callbacks):
    from okpay.accounts.models import User

    settings.OKPAY_BOT_TRAIN_ON_DEMO = False
    with django_capture_on_commit_callbacks(execute=True):
        for step in hooks.items(hooks.DEMO_STEPS):
            if step.name in ("users", "wallet", "disputes"):
                step.run()
    chinese = set(User.objects.filter(language="zh-hans").values_list("email", flat=True))
    english_text = "I did not make this payment"  # the English customer's own words, quoted to the merchant
    checked = 0
    for message in mail.outbox:
        if message.to[0] not in chinese:
            continue
        checked += 1
        for line in (message.subject + "\n" + message.body).splitlines():
            if english_text in line:
                continue
            assert not ENGLISH_SENTENCE.search(line), (message.to, message.subject, line)
    assert checked >= 20
