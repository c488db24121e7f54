"""The operators' withdrawal queue in the console (issue 13): who sees and who acts, the filters and
counts, review decisions with their note, the manual provider's steps with the exact money, the payout
batch (CSV content, the moves to processing, formula injection), the audited full-number disclosure,
404s."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from okpay.accounts.tests.factories import PASSWORD
from okpay.core.models import AuditEvent
from okpay.payouts.actions import destination_add
from okpay.payouts.models import PayoutDestination, Withdrawal
from okpay.payouts.operations import csv_safe
from okpay.payouts.withdrawals import withdrawal_cancel, withdrawal_submit
from okpay.wallet.actions import topup_demo
from okpay.wallet.ledger import ledger_verify, wallet_account

pytestmark = pytest.mark.django_db
CN_CARD = "6222021001122334458"
IBAN = "DE89370400440532013000"
SEED = 1_000_000  # ¥10,000.00


@pytest.fixture(autouse=True)
def manual(settings):
    settings.OKPAY_PAYOUT_PROVIDER = "manual"
    from okpay.wallet.fx import rates_refresh

    rates_refresh()


@pytest.fixture
def payee(make_user):
    user = make_user(email="payee@example.com", full_name="王小明", verification_level=2)
    topup_demo(user=user, amount_minor=SEED, currency="CNY", key="seed")
    return user


@pytest.fixture
def ops(make_user):
    """A supervisor: decides reviews and operates payouts."""
    return make_user(email="ops@okpay.example", role="supervisor", language="en")


@pytest.fixture
def agent_en(make_user):
    return make_user(email="agent@okpay.example", role="agent", language="en")


def _cooled(destination):
    destination.usable_for_large_after = destination.created_at
    destination.save(update_fields=["usable_for_large_after"])
    return destination


@pytest.fixture
def card(payee):
    return _cooled(
        destination_add(
            user=payee,
            kind="cn_bank_card",
            data={"card_number": CN_CARD, "bank_code": "ICBC", "holder_name": "王小明"},
            password=PASSWORD,
            network="203.0.113.9",
        )
    )


@pytest.fixture
def iban(payee):
    return _cooled(
        destination_add(
            user=payee,
            kind="iban",
            data={"iban": IBAN, "holder_name": "Wang Xiaoming"},
            password=PASSWORD,
            network="203.0.113.9",
        )
    )


def submit(user, destination, amount, key, speed="standard"):
    return withdrawal_submit(
        user=user, destination_id=destination.pk, amount_minor=amount, currency="CNY", speed=speed, key=key
    )


def balances(user):
    account = wallet_account(user, "CNY")
    account.refresh_from_db()
    return account.available_balance, account.posted_balance


@pytest.fixture
def requested(payee, card):
    """¥100.00 to the Chinese bank card (fee ¥1.00): requested, waiting for the operator."""
    withdrawal = submit(payee, card, 10_000, "small")
    assert withdrawal.status == "requested"
    return withdrawal


@pytest.fixture
def held(payee, iban):
    """¥5,000.00 (more than 500 EUR), the first to the IBAN: held for review."""
    withdrawal = submit(payee, iban, 500_000, "big")
    assert withdrawal.status == "under_review"
    assert withdrawal.review_reasons == ["first_to_destination"]
    return withdrawal


# --- who sees, who acts -----------------------------------------------------------------------


def test_customers_may_not_open_the_queue_or_act(client, signed_in, payee, requested, held):
    signed_in(payee)
    assert client.get("/console/withdrawals/").status_code == 403
    assert client.get(f"/console/withdrawals/{requested.pk}/").status_code == 403
    assert client.post(f"/console/withdrawals/{requested.pk}/step/", {"to": "processing"}).status_code == 403
    assert client.post("/console/withdrawals/export/").status_code == 403
    assert (
        client.post(
            f"/console/withdrawals/{held.pk}/decide/", {"decision": "approve", "note": "x"}
        ).status_code
        == 403
    )
    assert client.post(f"/console/withdrawals/{requested.pk}/destination/").status_code == 403
    assert set(Withdrawal.objects.values_list("status", flat=True)) == {"requested", "under_review"}


def test_signed_out_visitors_go_to_the_sign_in_page(client, requested):
    response = client.get("/console/withdrawals/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_agents_read_the_queue_and_a_withdrawal_but_cannot_act(client, signed_in, agent_en, requested, held):
    signed_in(agent_en)
    queue = client.get("/console/withdrawals/").content.decode()
    assert requested.reference in queue and held.reference in queue
    assert "Export a payout batch (CSV)" not in queue
    detail = client.get(f"/console/withdrawals/{held.pk}/").content.decode()
    assert "A supervisor approves or rejects it" in detail and 'name="decision"' not in detail
    assert "Show the full number" not in detail and CN_CARD not in detail and IBAN not in detail
    detail = client.get(f"/console/withdrawals/{requested.pk}/").content.decode()
    assert "Sent to the bank" not in detail
    assert (
        client.post(
            f"/console/withdrawals/{held.pk}/decide/", {"decision": "approve", "note": "ok"}
        ).status_code
        == 403
    )
    assert client.post(f"/console/withdrawals/{requested.pk}/step/", {"to": "processing"}).status_code == 403
    assert client.post("/console/withdrawals/export/").status_code == 403
    assert client.post(f"/console/withdrawals/{requested.pk}/destination/").status_code == 403
    requested.refresh_from_db(), held.refresh_from_db()
    assert (requested.status, held.status) == ("requested", "under_review")
    assert not AuditEvent.objects.filter(
        action__in=["withdrawal.destination_revealed", "withdrawal.batch_exported"]
    )


def test_the_console_home_lists_the_queue_with_its_live_line(
    client, signed_in, ops, agent_en, requested, held
):
    signed_in(ops)
    home = client.get("/console/").content.decode()
    assert "/console/withdrawals/" in home and "1 to review · 1 to pay" in home
    signed_in(agent_en)
    assert "/console/withdrawals/" in client.get("/console/").content.decode()


# --- the queue --------------------------------------------------------------------------------


def _references(client, **params):
    """(the withdrawals the queue lists, in its order; the page)."""
    page = client.get("/console/withdrawals/", params).content.decode()
    found = {page.find(f">WD-{pk}<"): pk for pk in Withdrawal.objects.values_list("pk", flat=True)}
    return [pk for position, pk in sorted(found.items()) if position >= 0], page


def test_the_queue_shows_the_open_ones_by_default_and_filters(client, signed_in, ops, payee, card, iban):
    big = submit(payee, iban, 500_000, "big")  # under review
    small = submit(payee, card, 10_000, "small")  # requested
    ewallet = _cooled(
        PayoutDestination.objects.create(
            user=payee,
            kind="ewallet",
            provider="alipay",
            account="13800138000",
            usable_for_large_after=timezone.now(),
        )
    )
    quick = submit(payee, ewallet, 2_000, "ewallet")  # requested, method ewallet
    gone = submit(payee, card, 3_000, "gone")
    withdrawal_cancel(user=payee, withdrawal_id=gone.pk)
    Withdrawal.objects.filter(pk=small.pk).update(created_at=timezone.now() - timedelta(hours=30))
    signed_in(ops)

    shown, page = _references(client)
    assert shown == [small.pk, big.pk, quick.pk]  # open ones, oldest first; not the cancelled
    assert '>Open <span class="count">3</span>' in page
    assert '>Cancelled <span class="count">1</span>' in page and '>All <span class="count">4</span>' in page
    assert _references(client, sort="newest")[0] == [quick.pk, big.pk, small.pk]
    assert _references(client, status="all")[0] == [small.pk, big.pk, quick.pk, gone.pk]
    assert _references(client, status="canceled")[0] == [gone.pk]
    assert _references(client, status="under_review")[0] == [big.pk]
    assert _references(client, method="ewallet")[0] == [quick.pk]
    assert _references(client, method="bank_transfer")[0] == [small.pk, big.pk]
    assert _references(client, amount_min="100", amount_max="1,000")[0] == [small.pk]
    assert _references(client, amount_min="１０００")[0] == [big.pk]  # full-width digits read as ASCII
    assert _references(client, amount_max="20.00", currency="CNY")[0] == [quick.pk]
    assert _references(client, currency="USD")[0] == []
    assert _references(client, age="24h")[0] == [small.pk]
    shown, page = _references(client, amount_min="1e3", method="nope")
    assert shown == [small.pk, big.pk, quick.pk]  # invalid values are ignored, and the page says which
    assert "ignored" in page and "Amount from" in page and "Method" in page
    # counts follow the other filters
    assert '>Open <span class="count">1</span>' in _references(client, method="ewallet")[1]


def test_ages_turn_red_past_the_business_day_target(client, signed_in, ops, requested):
    signed_in(ops)
    page = client.get("/console/withdrawals/").content.decode()
    assert "0 min</span>" in page and "badge badge-danger" not in page
    Withdrawal.objects.filter(pk=requested.pk).update(created_at=timezone.now() - timedelta(days=10))
    page = client.get("/console/withdrawals/").content.decode()
    assert '<span class="badge badge-danger"' in page and "10 d" in page and "(past the target)" in page
    assert "past the arrival date" not in page  # its arrival was computed from the real submission time
    Withdrawal.objects.filter(pk=requested.pk).update(estimated_arrival=timezone.now() - timedelta(hours=1))
    assert "past the arrival date" in client.get("/console/withdrawals/").content.decode()


# --- reviews ----------------------------------------------------------------------------------


def test_a_review_needs_a_note_then_approval_sends_it_to_the_operators(client, signed_in, ops, payee, held):
    signed_in(ops)
    response = client.post(f"/console/withdrawals/{held.pk}/decide/", {"decision": "approve", "note": "  "})
    assert response.status_code == 302
    held.refresh_from_db()
    assert held.status == "under_review"
    page = client.get(response["Location"]).content.decode()
    assert "Write a note for the decision." in page
    client.post(f"/console/withdrawals/{held.pk}/decide/", {"decision": "maybe", "note": "x"})
    held.refresh_from_db()
    assert held.status == "under_review"
    response = client.post(
        f"/console/withdrawals/{held.pk}/decide/", {"decision": "approve", "note": "salary, documents seen"}
    )
    held.refresh_from_db()
    assert held.status == "requested"  # the manual provider: now the operators send it
    page = client.get(response["Location"]).content.decode()
    assert "Decision recorded." in page and "salary, documents seen" in page and "Sent to the bank" in page
    event = AuditEvent.objects.get(action="withdrawal.status_changed", data__withdrawal=held.pk)
    assert event.actor == ops and event.data["to"] == "requested"


def test_a_rejection_returns_the_exact_amount_and_fee(client, signed_in, ops, payee, held):
    assert balances(payee) == (SEED - held.total_minor, SEED)
    signed_in(ops)
    client.post(f"/console/withdrawals/{held.pk}/decide/", {"decision": "reject", "note": "purpose unclear"})
    held.refresh_from_db()
    assert held.status == "rejected"
    assert balances(payee) == (SEED, SEED)
    assert ledger_verify() == []


def test_nobody_decides_or_pays_their_own_account(client, signed_in, payee, card, held):
    own_requested = submit(payee, card, 10_000, "own")
    payee.role, payee.language = "supervisor", "en"  # a customer who became a supervisor
    payee.save(update_fields=["role", "language"])
    signed_in(payee)
    detail = client.get(f"/console/withdrawals/{held.pk}/").content.decode()
    assert "You cannot decide on your own account" in detail and 'name="decision"' not in detail
    response = client.post(f"/console/withdrawals/{held.pk}/decide/", {"decision": "approve", "note": "mine"})
    assert "You cannot decide on your own account" in client.get(response["Location"]).content.decode()
    response = client.post(f"/console/withdrawals/{own_requested.pk}/step/", {"to": "processing"})
    assert "You cannot act on your own account" in client.get(response["Location"]).content.decode()
    held.refresh_from_db(), own_requested.refresh_from_db()
    assert (held.status, own_requested.status) == ("under_review", "requested")


# --- the manual provider --------------------------------------------------------------------


def test_sent_to_the_bank_then_paid(client, signed_in, ops, payee, requested, mailoutbox):
    signed_in(ops)
    client.post(f"/console/withdrawals/{requested.pk}/step/", {"to": "processing", "note": "ICBC batch 7"})
    requested.refresh_from_db()
    assert requested.status == "processing"
    page = client.get(f"/console/withdrawals/{requested.pk}/").content.decode()
    assert "Marked as sent to the bank." in page and "Mark paid" in page and "ICBC batch 7" in page
    client.post(f"/console/withdrawals/{requested.pk}/step/", {"to": "paid", "note": "ref 123"})
    requested.refresh_from_db()
    assert requested.status == "paid" and requested.paid_at is not None
    assert balances(payee) == (SEED - 10_100, SEED - 10_100)
    assert ledger_verify() == []
    assert requested.transaction.status == "completed"


def test_failed_needs_a_code_and_a_note_and_returns_the_exact_money(client, signed_in, ops, payee, requested):
    signed_in(ops)
    client.post(f"/console/withdrawals/{requested.pk}/step/", {"to": "processing"})
    assert balances(payee) == (SEED - 10_100, SEED)
    response = client.post(f"/console/withdrawals/{requested.pk}/step/", {"to": "failed", "note": "bounced"})
    assert "Choose why the payout failed." in client.get(response["Location"]).content.decode()
    response = client.post(
        f"/console/withdrawals/{requested.pk}/step/", {"to": "failed", "failure_code": "account_closed"}
    )
    assert "Write a note saying what the bank answered." in client.get(response["Location"]).content.decode()
    requested.refresh_from_db()
    assert requested.status == "processing" and balances(payee) == (SEED - 10_100, SEED)
    client.post(
        f"/console/withdrawals/{requested.pk}/step/",
        {"to": "failed", "failure_code": "account_closed", "note": "ICBC: account closed"},
    )
    requested.refresh_from_db()
    assert (requested.status, requested.failure_code) == ("failed", "account_closed")
    assert balances(payee) == (SEED, SEED)
    assert ledger_verify() == []
    page = client.get(f"/console/withdrawals/{requested.pk}/").content.decode()
    assert "The receiving account is closed." in page and "ICBC: account closed" in page


def test_a_refused_move_is_a_message_and_changes_nothing(client, signed_in, ops, payee, requested):
    signed_in(ops)
    response = client.post(f"/console/withdrawals/{requested.pk}/step/", {"to": "paid"})
    assert "cannot move from" in client.get(response["Location"]).content.decode()
    client.post(f"/console/withdrawals/{requested.pk}/step/", {"to": "canceled"})
    requested.refresh_from_db()
    assert requested.status == "requested" and balances(payee) == (SEED - 10_100, SEED)


def test_sandbox_withdrawals_settle_by_themselves(client, signed_in, ops, payee, card, settings):
    settings.OKPAY_PAYOUT_PROVIDER = "sandbox"
    withdrawal = submit(payee, card, 10_000, "sbx")
    assert withdrawal.status == "processing"
    signed_in(ops)
    assert (
        "settles this withdrawal by itself"
        in client.get(f"/console/withdrawals/{withdrawal.pk}/").content.decode()
    )
    response = client.post(f"/console/withdrawals/{withdrawal.pk}/step/", {"to": "paid"})
    assert "settles this withdrawal by itself" in client.get(response["Location"]).content.decode()
    withdrawal.refresh_from_db()
    assert withdrawal.status == "processing"


# --- the payout batch -------------------------------------------------------------------------


def _csv(response):
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="okpay-PB-')
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_the_batch_exports_the_requested_manual_withdrawals_and_moves_them(
    client, signed_in, ops, payee, card, iban, held, settings
):
    first = submit(payee, card, 10_000, "a")
    second = submit(payee, iban, 25_050, "b")  # not the first to the IBAN: no review
    gone = submit(payee, card, 3_000, "gone")
    withdrawal_cancel(user=payee, withdrawal_id=gone.pk)
    settings.OKPAY_PAYOUT_PROVIDER = "sandbox"
    sandbox = submit(payee, card, 4_000, "sbx")
    settings.OKPAY_PAYOUT_PROVIDER = "manual"
    signed_in(ops)
    assert "Export a payout batch (CSV)" in client.get("/console/withdrawals/").content.decode()

    rows = _csv(client.post("/console/withdrawals/export/"))
    header, *lines = rows
    assert header[:10] == [
        "reference",
        "id",
        "created_at",
        "customer_email",
        "holder_name",
        "account",
        "bank_name",
        "currency",
        "amount",
        "method",
    ]
    assert [line[0] for line in lines] == [first.reference, second.reference]
    by_ref = {line[0]: dict(zip(header, line, strict=True)) for line in lines}
    assert by_ref[first.reference] | {"created_at": "", "batch": ""} == {
        "reference": first.reference,
        "id": str(first.pk),
        "created_at": "",
        "customer_email": "payee@example.com",
        "holder_name": "王小明",
        "account": CN_CARD,
        "bank_name": "Industrial and Commercial Bank of China",  # in the operator's language
        "currency": "CNY",
        "amount": "100.00",  # what the customer receives; the fee stays with us
        "method": "bank_transfer",
        "destination_kind": "cn_bank_card",
        "card_last4": "",
        "batch": "",
    }
    assert by_ref[second.reference]["account"] == IBAN and by_ref[second.reference]["amount"] == "250.50"
    batch = by_ref[first.reference]["batch"]
    assert batch.startswith("PB-") and by_ref[second.reference]["batch"] == batch

    statuses = dict(Withdrawal.objects.values_list("pk", "status"))
    assert statuses == {
        held.pk: "under_review",
        first.pk: "processing",
        second.pk: "processing",
        gone.pk: "canceled",
        sandbox.pk: "processing",
    }
    assert set(Withdrawal.objects.filter(provider_reference=batch).values_list("pk", flat=True)) == {
        first.pk,
        second.pk,
    }
    event = AuditEvent.objects.get(action="withdrawal.batch_exported")
    assert (
        event.actor == ops
        and event.data["withdrawals"] == [first.pk, second.pk]
        and event.data["batch"] == batch
    )
    assert AuditEvent.objects.filter(action="withdrawal.status_changed", actor=ops).count() == 2
    assert ledger_verify() == []

    again = client.post("/console/withdrawals/export/")  # nothing left to export
    assert again.status_code == 302
    page = client.get(again["Location"]).content.decode()
    assert "No requested withdrawals of the manual provider to export." in page
    assert "2 withdrawals exported and moved to processing" in page  # the first export's message
    assert AuditEvent.objects.filter(action="withdrawal.batch_exported").count() == 1


def test_the_batch_takes_one_method_or_currency(client, signed_in, ops, payee, card):
    ewallet = PayoutDestination.objects.create(
        user=payee,
        kind="ewallet",
        provider="alipay",
        account="13800138000",
        usable_for_large_after=timezone.now(),
    )
    bank = submit(payee, card, 10_000, "bank")
    quick = submit(payee, ewallet, 2_000, "quick")
    signed_in(ops)
    response = client.post("/console/withdrawals/export/", {"currency": "USD"})
    assert response.status_code == 302  # none in USD
    lines = _csv(client.post("/console/withdrawals/export/", {"method": "ewallet", "currency": "CNY"}))[1:]
    assert [line[0] for line in lines] == [quick.reference] and lines[0][5] == "13800138000"
    bank.refresh_from_db(), quick.refresh_from_db()
    assert (bank.status, quick.status) == ("requested", "processing")
    response = client.post("/console/withdrawals/export/", {"method": "cheque"})
    assert response.status_code == 302
    bank.refresh_from_db()
    assert bank.status == "requested"


def test_csv_cells_cannot_become_formulas(client, signed_in, ops, payee):
    evil = PayoutDestination.objects.create(
        user=payee,
        kind="iban",
        account=IBAN,
        country="DE",
        bank_name="@SUM(A1:A9)",
        holder_name='=HYPERLINK("http://evil.example","pay")',
        usable_for_large_after=timezone.now(),
    )
    withdrawal = submit(payee, evil, 10_000, "evil")
    signed_in(ops)
    line = _csv(client.post("/console/withdrawals/export/"))[1]
    assert line[0] == withdrawal.reference
    assert line[4] == """'=HYPERLINK("http://evil.example","pay")"""
    assert line[6] == "'@SUM(A1:A9)"
    assert [csv_safe(v) for v in ("+1", "-1+2", "\tx", "a=b", "")] == ["'+1", "'-1+2", "'\tx", "a=b", ""]


# --- the full number --------------------------------------------------------------------------


def test_the_full_number_is_shown_on_request_to_operators_only_and_audited(client, signed_in, ops, requested):
    signed_in(ops)
    detail = client.get(f"/console/withdrawals/{requested.pk}/").content.decode()
    assert "•••• 4458" in detail and "Show the full number" in detail
    assert CN_CARD not in detail and "6222 0210" not in detail
    assert not AuditEvent.objects.filter(action="withdrawal.destination_revealed").exists()
    response = client.post(f"/console/withdrawals/{requested.pk}/destination/")
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert "6222 0210 0112 2334 458" in page and "Show the full number" not in page
    event = AuditEvent.objects.get(action="withdrawal.destination_revealed")
    assert (event.actor, event.subject_user) == (ops, requested.user)
    assert event.data == {
        "withdrawal": requested.pk,
        "destination": requested.destination_id,
        "kind": "cn_bank_card",
    }
    # the look is in the withdrawal's timeline
    assert (
        "Full payout account number shown"
        in client.get(f"/console/withdrawals/{requested.pk}/").content.decode()
    )
    assert client.get(f"/console/withdrawals/{requested.pk}/destination/").status_code == 405


def test_a_debit_card_has_no_number_to_show(client, signed_in, ops, payee):
    debit = PayoutDestination.objects.create(
        user=payee,
        kind="debit_card",
        holder_name="WANG",
        card_last4="1111",
        card_brand="visa",
        card_fingerprint="f" * 64,
        usable_for_large_after=timezone.now(),
    )
    withdrawal = submit(payee, debit, 10_000, "card")
    signed_in(ops)
    detail = client.get(f"/console/withdrawals/{withdrawal.pk}/").content.decode()
    assert "Show the full number" not in detail and "last four digits are kept" in detail
    response = client.post(f"/console/withdrawals/{withdrawal.pk}/destination/")
    assert response.status_code == 302
    assert not AuditEvent.objects.filter(action="withdrawal.destination_revealed").exists()


# --- the detail page, 404 ---------------------------------------------------------------------


def test_the_detail_shows_amounts_reasons_timeline_and_the_customer(
    client, signed_in, ops, payee, card, held
):
    other = submit(payee, card, 10_000, "other")
    signed_in(ops)
    page = client.get(f"/console/withdrawals/{held.pk}/").content.decode()
    assert "CN¥5,000.00" in page and "CN¥5.00" in page and "CN¥5,005.00" in page  # received, fee, total
    assert "First withdrawal to this destination, of €500.00 or more" in page
    assert "Withdrawal submitted" in page and "Under review" in page
    assert f'href="/console/customers/{payee.pk}/"' in page
    assert f'href="/console/withdrawals/{other.pk}/"' in page
    assert "•••• 3000" in page and "Wang Xiaoming" in page


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/console/withdrawals/999999/"),
        ("get", "/console/withdrawals/99999999999999999999/"),
        ("post", "/console/withdrawals/999999/decide/"),
        ("post", "/console/withdrawals/999999/step/"),
        ("post", "/console/withdrawals/999999/destination/"),
    ],
)
def test_an_unknown_withdrawal_is_404(client, signed_in, ops, method, path):
    signed_in(ops)
    assert (
        getattr(client, method)(path, {"decision": "approve", "note": "x", "to": "paid"}).status_code == 404
    )
