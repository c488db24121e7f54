"""core.mail with the database task queue (the product's default): the email task's row is written in
the caller's transaction (a transactional outbox) — it exists only if that transaction commits.
The other tests run the immediate backend, where the task is enqueued on commit."""

import pytest
from django.db import transaction
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from okpay.core.mail import email_send, in_transaction_outbox
from okpay.core.tasks import send_email

DATABASE_TASKS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "training"]}
}
IMMEDIATE_TASKS = {
    "default": {
        "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
        "QUEUES": ["default", "training"],
    }
}


class Rollback(Exception):
    pass


def _send(user):
    email_send(
        to=user.email,
        template="payouts/email/withdrawal_submitted",
        context={
            "withdrawal": {"reference": "WD-7"},
            "user": user,
            "amount": "¥10.00",
            "fee": "¥0.50",
            "destination": "E-wallet",
            "arrival": "now",
            "reason": "",
            "detail_url": "https://example.com/wd/7",
        },
        language="en",
        time_zone="Asia/Shanghai",
    )


def _mail_rows():
    return list(DBTaskResult.objects.filter(task_path=send_email.module_path))


@pytest.mark.django_db
def test_the_task_row_is_written_in_the_callers_transaction(make_user, django_capture_on_commit_callbacks):
    user = make_user(email="outbox@example.com", language="en")
    with override_settings(TASKS=DATABASE_TASKS):
        assert in_transaction_outbox(send_email)
        with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
            _send(user)
            rows = _mail_rows()  # already there, inside the transaction: no on-commit step
        assert callbacks == []
    assert len(rows) == 1
    kwargs = rows[0].args_kwargs["kwargs"]
    assert rows[0].status == "READY" and rows[0].queue_name == "default"
    assert kwargs["to"] == "outbox@example.com"
    assert kwargs["subject"] == "We received your withdrawal WD-7"
    assert "¥10.00" in kwargs["text"] and "https://example.com/wd/7" in kwargs["html"]


@pytest.mark.django_db
def test_nothing_is_queued_when_the_transaction_rolls_back(make_user):
    user = make_user(email="rolled@example.com", language="en")
    with override_settings(TASKS=DATABASE_TASKS), pytest.raises(Rollback), transaction.atomic():
        _send(user)
        assert len(_mail_rows()) == 1
        raise Rollback
    assert _mail_rows() == []


@pytest.mark.django_db
def test_other_backends_still_send_after_commit(make_user, django_capture_on_commit_callbacks, mailoutbox):
    user = make_user(email="later@example.com", language="en")
    with override_settings(TASKS=IMMEDIATE_TASKS):
        assert not in_transaction_outbox(send_email)
        with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
            _send(user)
        assert len(callbacks) == 1 and mailoutbox == []
        callbacks[0]()
    assert [mail.subject for mail in mailoutbox] == ["We received your withdrawal WD-7"]
    assert _mail_rows() == []


@pytest.mark.django_db
def test_rendered_later_the_worker_sends_what_email_send_would(make_user, mailoutbox):
    from okpay.core.mail import email_render, email_send_rendered_later
    from okpay.core.tasks import send_email_template

    user = make_user(email="worker@example.com", full_name="<Tom & Jerry's>", language="zh-hans")
    context = {
        "withdrawal": {"reference": "WD-7"},
        "user": {"display_name": user.display_name},
        "amount": "¥10.00",
        "fee": "¥0.50",
        "destination": "E-wallet",
        "arrival": "now",
        "reason": "",
        "detail_url": "https://example.com/wd/7",
    }
    fields = {
        "template": "payouts/email/withdrawal_submitted",
        "language": "zh-hans",
        "time_zone": "Asia/Shanghai",
    }
    with override_settings(TASKS=DATABASE_TASKS):
        with pytest.raises(TypeError), transaction.atomic():
            email_send_rendered_later(to=user.email, context={**context, "user": user}, **fields)
        with transaction.atomic():
            email_send_rendered_later(to=user.email, context=context, **fields)
        (row,) = DBTaskResult.objects.filter(task_path=send_email_template.module_path)
        row.task.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])  # as the worker runs it
    (mail,) = mailoutbox
    html = {mimetype: content for content, mimetype in mail.alternatives}["text/html"]
    assert (mail.subject, mail.body, html) == email_render(context={**context, "user": user}, **fields)
    assert mail.to == ["worker@example.com"] and "<Tom & Jerry's>" in mail.body
    assert mail.extra_headers["X-OKPay-Loop"]
