import pytest

from okpay.core.models import AuditEvent
from okpay.wallet.actions import topup_demo
from okpay.wallet.fx import quote_create, rates_refresh
from okpay.wallet.international.actions import international_submit
from okpay.wallet.ledger import wallet_account
from okpay.wallet.models import InternationalTransfer

pytestmark = pytest.mark.smoke


@pytest.fixture
def held(make_user, db):
    rates_refresh()
    user = make_user(email="held@example.com", verification_level=2)
    topup_demo(user=user, amount_minor=2_000_000, currency="CNY", key="s")
    quote = quote_create(
        user=user, from_currency="CNY", to_currency="USD", source_amount_minor=900_000, recipient_country="US"
    )
    return international_submit(
        user=user,
        quote_id=quote.pk,
        recipient_name="A",
        recipient_country="US",
        recipient_account="US123456",
        recipient_address="x st",
        sender_address="y rd",
        key="k",
    )


def test_customer_360_is_read_only_and_every_look_is_audited(client, held, agent, signed_in):
    signed_in(agent)
    page = client.get(f"/console/customers/{held.user_id}/").content.decode()
    assert "held@example.com" in page and "INT-" in page
    assert (
        AuditEvent.objects.filter(
            action="console.customer_viewed", actor=agent, subject_user=held.user
        ).count()
        == 1
    )
    assert "held@example.com" in client.get("/console/customers/", {"q": "held@"}).content.decode()
    assert client.get("/console/customers/999999/").status_code == 404


def test_customers_cannot_open_the_360_or_the_queue(client, held, customer, signed_in):
    signed_in(customer)
    assert client.get(f"/console/customers/{held.user_id}/").status_code == 403
    assert client.get("/console/reviews/").status_code == 403


def test_agents_see_no_review_queue(client, held, agent, signed_in):
    signed_in(agent)
    assert client.get("/console/reviews/").status_code == 403
    client.post(f"/console/reviews/{held.pk}/decide/", {"decision": "approve", "note": "ok"})
    held.refresh_from_db()
    assert held.status == "under_review"


def test_supervisor_approves_with_a_note(client, held, supervisor, signed_in):
    signed_in(supervisor)
    assert f"INT-{held.pk}" in client.get("/console/reviews/").content.decode()
    no_note = client.post(f"/console/reviews/{held.pk}/decide/", {"decision": "approve", "note": ""})
    assert no_note.status_code == 302
    held.refresh_from_db()
    assert held.status == "under_review"
    client.post(f"/console/reviews/{held.pk}/decide/", {"decision": "reject", "note": "purpose unclear"})
    held.refresh_from_db()
    assert held.status == "rejected" and held.reviewed_by == supervisor
    assert wallet_account(held.user, "CNY").available_balance == 2_000_000
    assert (
        client.post("/console/reviews/999999/decide/", {"decision": "reject", "note": "x"}).status_code == 404
    )
    assert InternationalTransfer.objects.count() == 1


def test_demo_data_is_idempotent_and_balanced(db):
    from django.core.management import call_command

    from okpay.wallet.ledger import ledger_verify
    from okpay.wallet.models import Transaction

    call_command("demo")
    first = Transaction.objects.count()
    call_command("demo")
    assert Transaction.objects.count() == first >= 30
    assert ledger_verify() == []
    # in review: the English customer's and the Chinese customer's (which also has one processing,
    # one rejected and one paid: the bot's "where is my international transfer")
    assert InternationalTransfer.objects.filter(status="under_review").count() == 2
    chinese = InternationalTransfer.objects.filter(user__email="customer@example.com")
    assert sorted(chinese.values_list("status", flat=True)) == ["paid", "pending", "rejected", "under_review"]
