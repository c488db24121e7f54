"""The console's dispute review (issue 14, item 5): the queue's order and filters, the look-up of every
dispute, both sides' evidence side by side, who may see and act (403/404 for anyone but staff), the
decision's money (balances and the ledger), appeals decided by another reviewer (the page does not
offer the first one the form), internal notes that never reach either party's page, and refusals
shown on the page that change nothing."""

import io
import re
from datetime import datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from PIL import Image

from okpay.console import views_disputes
from okpay.disputes import actions
from okpay.disputes.choices import DisputeStatus
from okpay.disputes.models import Dispute, DisputeEvent, DisputeNote
from okpay.disputes.selectors import timeline_window
from okpay.disputes.selectors_staff import merchant_dispute_rate, review_deadline
from okpay.wallet.actions import payment_create, topup_demo
from okpay.wallet.ledger import ledger_verify, wallet_account

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def png(name="shot.png", colour=(200, 30, 30)):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def pdf(name="receipt.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def balance(user, currency="CNY"):
    account = wallet_account(user, currency)
    account.refresh_from_db()
    return account.available_balance


@pytest.fixture
def shop(make_user):
    user = make_user(email="shop@example.com", role="merchant", full_name="小店")
    topup_demo(user=user, amount_minor=100_000, currency="CNY", key="shop-seed")
    return user


@pytest.fixture
def buyer(customer):
    topup_demo(user=customer, amount_minor=500_000, currency="CNY", key="seed")
    return customer


@pytest.fixture
def r1(make_user):
    return make_user(email="r1@okpay.example", role="agent", full_name="Reviewer One", language="en")


@pytest.fixture
def r2(make_user):
    return make_user(email="r2@okpay.example", role="agent", full_name="Reviewer Two", language="en")


_keys = iter(range(1, 10_000))
CONTEST_STATEMENT = "Delivered on the 3rd, signed by the customer"


def pay(buyer, shop, amount=20_000, description="耳机"):
    return payment_create(
        customer=buyer,
        merchant=shop,
        amount_minor=amount,
        currency="CNY",
        description=description,
        key=f"p{next(_keys)}",
    )


def responded(buyer, shop, *, amount=20_000, urgent=False, due_in_days=None):
    """A dispute the merchant contested: in the review queue (merchant responded)."""
    payment = pay(buyer, shop)
    if urgent:
        dispute = actions.dispute_open(
            customer=buyer,
            payment_id=payment.pk,
            reason="unauthorized",
            amount_minor=amount,
            description="不是我付的",
            files=[png("sms.png")],
        )
    else:
        dispute = actions.dispute_contact_start(
            customer=buyer, payment_id=payment.pk, body="还没收到货", files=[png("chat.png")]
        )
        actions.dispute_merchant_refuse(merchant=shop, dispute_id=dispute.pk, body="已发货")
        dispute = actions.dispute_open(
            customer=buyer,
            payment_id=payment.pk,
            reason="not_received",
            amount_minor=amount,
            description="物流一直没有更新",
            files=[png("tracking.png"), pdf("order.pdf")],
        )
    dispute = actions.dispute_merchant_contest(
        merchant=shop,
        dispute_id=dispute.pk,
        statement=CONTEST_STATEMENT,
        files=[png("delivery.png", (30, 200, 30)), pdf("waybill.pdf")],
    )
    if due_in_days is not None:
        Dispute.objects.filter(pk=dispute.pk).update(
            review_due_at=timezone.now() + timedelta(days=due_in_days)
        )
    dispute.refresh_from_db()
    return dispute


def under_review(buyer, shop, reviewer, **kwargs):
    dispute = responded(buyer, shop, **kwargs)
    actions.dispute_review_start(reviewer=reviewer, dispute_id=dispute.pk)
    dispute.refresh_from_db()
    return dispute


def decide(client, dispute, outcome, amount="", note_customer="Refund for you", note_merchant="No proof"):
    return client.post(
        f"/console/disputes/{dispute.number}/decide/",
        {
            "outcome": outcome,
            "amount": amount,
            "note_customer": note_customer,
            "note_merchant": note_merchant,
        },
    )


def numbers(response):
    return [row[0].number for row in response.context["rows"]]


# --- the queue -----------------------------------------------------------------------------------


def test_queue_puts_urgent_first_then_the_soonest_review_deadline(client, signed_in, buyer, shop, r1):
    late = responded(buyer, shop, due_in_days=9)
    soon = responded(buyer, shop, due_in_days=2)
    overdue = responded(buyer, shop, due_in_days=-3)
    urgent_late = responded(buyer, shop, urgent=True, due_in_days=8)
    urgent_soon = responded(buyer, shop, urgent=True, due_in_days=1)
    waiting_for_merchant = actions.dispute_open(
        customer=buyer,
        payment_id=pay(buyer, shop).pk,
        reason="unauthorized",
        amount_minor=1_000,
        description="x",
    )
    signed_in(r1)
    response = client.get("/console/disputes/")
    assert response.status_code == 200
    assert numbers(response) == [
        urgent_soon.number,
        urgent_late.number,
        overdue.number,
        soon.number,
        late.number,
    ]
    assert waiting_for_merchant.number not in response.content.decode()  # open: the merchant's turn
    html = response.content.decode()
    assert "Overdue by" in html and "business days left" in html
    assert "Merchant responded, waiting for review" in html  # the status's label, never its code
    assert ">merchant_responded<" not in html
    assert response.context["counts"]["review"] == 5
    assert response.context["counts"]["urgent"] == 2
    assert response.context["counts"]["overdue"] == 1


def test_queue_filters_mine_unassigned_appeals_urgent(client, signed_in, buyer, shop, r1, r2):
    mine = under_review(buyer, shop, r1, due_in_days=3)
    theirs = under_review(buyer, shop, r2, due_in_days=2)
    unassigned = responded(buyer, shop, due_in_days=4)
    urgent = responded(buyer, shop, urgent=True, due_in_days=5)
    appealed = under_review(buyer, shop, r2)
    actions.dispute_decide(
        reviewer=r2, dispute_id=appealed.pk, outcome="rejected", note_customer="a", note_merchant="b"
    )
    actions.dispute_appeal(user=buyer, dispute_id=appealed.pk, reason="I have the chat", files=[png()])
    signed_in(r1)
    assert numbers(client.get("/console/disputes/?show=mine")) == [mine.number]
    assert set(numbers(client.get("/console/disputes/?show=unassigned"))) == {
        unassigned.number,
        urgent.number,
        appealed.number,
    }
    assert numbers(client.get("/console/disputes/?show=appeals")) == [appealed.number]
    assert numbers(client.get("/console/disputes/?show=urgent")) == [urgent.number]
    assert len(numbers(client.get("/console/disputes/"))) == 5
    assert theirs.number in numbers(client.get("/console/disputes/?show=nonsense"))  # unknown: the queue


def test_every_dispute_lookup_pages_by_keyset_and_finds_by_number_or_email(
    client, signed_in, buyer, shop, r1, make_user, monkeypatch
):
    monkeypatch.setattr(views_disputes, "PAGE_SIZE", 2)
    in_queue = responded(buyer, shop)
    contact = actions.dispute_contact_start(customer=buyer, payment_id=pay(buyer, shop).pk, body="hi")
    withdrawn = responded(buyer, shop)
    actions.dispute_withdraw(customer=buyer, dispute_id=withdrawn.pk, reason="")
    other = make_user(email="li@example.com", full_name="李")
    topup_demo(user=other, amount_minor=50_000, currency="CNY", key="li")
    stranger_contact = actions.dispute_contact_start(customer=other, payment_id=pay(other, shop).pk, body="?")
    signed_in(r1)
    first = client.get("/console/disputes/?show=every")
    assert numbers(first) == [stranger_contact.number, withdrawn.number]  # newest first, every state
    assert "Withdrawn" in first.content.decode()
    following = first.context["next_url"]
    assert following.startswith("?") and "before=" in following
    second = client.get("/console/disputes/" + following)
    assert numbers(second) == [contact.number, in_queue.number]
    assert second.context["next_url"] == ""
    assert numbers(client.get(f"/console/disputes/?show=every&q={contact.number.lower()}")) == [
        contact.number
    ]
    assert numbers(client.get("/console/disputes/?show=every&q=LI@example.com")) == [stranger_contact.number]
    assert numbers(client.get("/console/disputes/?show=every&status=withdrawn")) == [withdrawn.number]
    assert numbers(client.get("/console/disputes/?show=every&q=nobody@example.com")) == []
    bad = client.get("/console/disputes/?show=every&before=99999999999999999999999&status=nope")
    assert bad.status_code == 200 and len(numbers(bad)) == 2  # bad values are ignored


def test_review_deadline_badge_in_business_days(buyer, shop, time_machine):
    # mid-morning in Shanghai: an hour before or five minutes after the due time stays on the same day
    # (run near midnight, the words changed with the date)
    from zoneinfo import ZoneInfo

    time_machine.move_to(datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)
    dispute = responded(buyer, shop)
    now = dispute.review_due_at - timedelta(hours=1)
    with translation.override("en"):
        assert review_deadline(dispute, now=now).text == "Due today"
        late = review_deadline(dispute, now=dispute.review_due_at + timedelta(minutes=5))
        assert late.tone == "danger" and late.text == "Overdue"


# --- one dispute -------------------------------------------------------------------------------------


def test_page_shows_both_sides_evidence_side_by_side(client, signed_in, buyer, shop, r1):
    dispute = responded(buyer, shop)
    files = {e.original_name: e.pk for e in dispute.evidence.all()}
    signed_in(r1)
    response = client.get(f"/console/disputes/{dispute.number}/")
    assert response.status_code == 200
    html = response.content.decode()
    customer_side = html[html.index('class="side side-customer"') : html.index('class="side side-merchant"')]
    merchant_side = html[html.index('class="side side-merchant"') : html.index('id="conversation-head"')]
    for name in ("chat.png", "tracking.png", "order.pdf"):
        assert name in customer_side and name not in merchant_side
    for name in ("delivery.png", "waybill.pdf"):
        assert name in merchant_side and name not in customer_side
    assert "物流一直没有更新" in customer_side
    assert "Delivered on the 3rd" in merchant_side
    # images inline through the re-encoding view, other files as downloads
    assert f'src="/account/disputes/files/{files["delivery.png"]}/?inline=1"' in merchant_side
    assert f'src="/account/disputes/files/{files["waybill.pdf"]}/?inline=1"' not in merchant_side
    assert f'href="/account/disputes/files/{files["waybill.pdf"]}/" download' in merchant_side
    inline = client.get(f"/account/disputes/files/{files['delivery.png']}/?inline=1")
    assert inline.status_code == 200 and inline["Content-Type"] == "image/jpeg"
    # the payment, the 360 links, the merchant's dispute rate, the conversation
    assert f'href="/console/customers/{buyer.pk}/"' in html
    assert f'href="/console/customers/{shop.pk}/"' in html
    assert "100.0%" in html and "1 disputes on 1 payment in the last 90 days" in html
    assert "还没收到货" in html and "已发货" in html
    assert "Start review" in html


def test_merchant_dispute_rate_counts_opened_disputes_on_the_windows_payments(buyer, shop):
    responded(buyer, shop)
    actions.dispute_contact_start(customer=buyer, payment_id=pay(buyer, shop).pk, body="only talking")
    pay(buyer, shop)
    old = pay(buyer, shop)
    type(old).objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=91))
    rate = merchant_dispute_rate(merchant=shop)
    assert (rate.disputes, rate.payments, str(rate.percent)) == (1, 3, "33.3")


def test_people_who_are_not_staff_get_403_or_404_everywhere(client, signed_in, buyer, shop, make_user):
    dispute = responded(buyer, shop)
    before = (dispute.status, balance(buyer), balance(shop), DisputeNote.objects.count())
    urls = [
        ("get", "/console/disputes/"),
        ("get", "/console/disputes/?show=every"),
        ("get", f"/console/disputes/{dispute.number}/"),
        ("post", f"/console/disputes/{dispute.number}/review/"),
        ("post", f"/console/disputes/{dispute.number}/decide/"),
        ("post", f"/console/disputes/{dispute.number}/notes/"),
    ]
    stranger = make_user(email="stranger@example.com")
    for user in (buyer, shop, stranger):
        signed_in(user)
        for method, url in urls:
            data = {"outcome": "refund_full", "note_customer": "x", "note_merchant": "y", "body": "note"}
            response = getattr(client, method)(url, data) if method == "post" else client.get(url)
            assert response.status_code in (403, 404), (user.email, url, response.status_code)
        client.logout()
    for method, url in urls:  # signed out: to the sign-in page
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    dispute.refresh_from_db()
    assert (dispute.status, balance(buyer), balance(shop), DisputeNote.objects.count()) == before


def test_unknown_number_is_404(client, signed_in, r1):
    signed_in(r1)
    assert client.get("/console/disputes/D-NOPE999/").status_code == 404
    assert client.post("/console/disputes/D-NOPE999/decide/", {}).status_code == 404


def test_start_review_assigns_and_a_second_start_shows_the_refusal(client, signed_in, buyer, shop, r1):
    dispute = responded(buyer, shop)
    signed_in(r1)
    response = client.post(f"/console/disputes/{dispute.number}/review/")
    assert response.status_code == 302
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.UNDER_REVIEW and dispute.assigned_to == r1
    events = DisputeEvent.objects.filter(dispute=dispute).count()
    again = client.post(f"/console/disputes/{dispute.number}/review/")
    assert again.status_code == 409
    assert "cannot move from" in again.content.decode()
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.UNDER_REVIEW
    assert DisputeEvent.objects.filter(dispute=dispute).count() == events


def test_full_refund_decision_moves_the_money(client, signed_in, buyer, shop, r1):
    dispute = under_review(buyer, shop, r1)
    customer_before, merchant_before = balance(buyer), balance(shop)  # the merchant's 200.00 is held
    signed_in(r1)
    response = decide(client, dispute, "refund_full")
    assert response.status_code == 302
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.RESOLVED_CUSTOMER and dispute.refunded_minor == 20_000
    assert balance(buyer) == customer_before + 20_000
    assert balance(shop) == merchant_before  # the held amount went to the customer
    assert ledger_verify() == []
    page = client.get(f"/console/disputes/{dispute.number}/").content.decode()
    assert "To the customer: Refund for you" in page and "To the merchant: No proof" in page


def test_partial_refund_decision_moves_the_amount_and_releases_the_rest(client, signed_in, buyer, shop, r1):
    dispute = under_review(buyer, shop, r1)
    customer_before, merchant_before = balance(buyer), balance(shop)
    signed_in(r1)
    assert decide(client, dispute, "refund_partial", amount="50.00").status_code == 302
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.RESOLVED_PARTIAL and dispute.refunded_minor == 5_000
    assert balance(buyer) == customer_before + 5_000
    assert balance(shop) == merchant_before + 15_000  # the hold released, 50.00 refunded
    assert ledger_verify() == []


@pytest.mark.parametrize("amount", ["200.00", "250.00", "0", ""])
def test_partial_amount_not_below_the_disputed_amount_is_refused(client, signed_in, buyer, shop, r1, amount):
    dispute = under_review(buyer, shop, r1)
    before = (balance(buyer), balance(shop), DisputeEvent.objects.filter(dispute=dispute).count())
    signed_in(r1)
    response = decide(client, dispute, "refund_partial", amount=amount)
    assert response.status_code in (400, 422)
    html = response.content.decode()
    assert "A partial refund is more than zero and less than the disputed amount." in html
    assert 'class="decision-form"' in html  # the form again, with what was typed
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.UNDER_REVIEW and dispute.refunded_minor == 0
    assert (balance(buyer), balance(shop), DisputeEvent.objects.filter(dispute=dispute).count()) == before
    assert ledger_verify() == []


@pytest.mark.parametrize("field", ["note_customer", "note_merchant"])
def test_a_decision_without_both_notes_is_refused(client, signed_in, buyer, shop, r1, field):
    dispute = under_review(buyer, shop, r1)
    before = (balance(buyer), balance(shop))
    signed_in(r1)
    response = decide(client, dispute, "refund_full", **{field: "   "})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.UNDER_REVIEW and not dispute.outcome
    assert (balance(buyer), balance(shop)) == before


def test_the_first_reviewer_cannot_decide_the_appeal(client, signed_in, buyer, shop, r1, r2):
    dispute = under_review(buyer, shop, r1)
    signed_in(r1)
    decide(client, dispute, "rejected", note_customer="Delivery proven", note_merchant="Proof accepted")
    customer_after_first = balance(buyer)
    actions.dispute_appeal(
        user=buyer, dispute_id=dispute.pk, reason="The signature is not mine", files=[png()]
    )
    page = client.get(f"/console/disputes/{dispute.number}/")
    html = page.content.decode()
    assert "You made the first decision on this dispute. Another reviewer must decide the appeal." in html
    assert 'class="decision-form"' not in html and "Take this appeal" not in html
    refused = decide(client, dispute, "refund_full")
    assert refused.status_code == 403
    assert "An appeal is decided by another reviewer than the first decision" in refused.content.decode()
    assert client.post(f"/console/disputes/{dispute.number}/review/").status_code == 403
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.APPEALED and dispute.assigned_to is None
    assert balance(buyer) == customer_after_first

    client.logout()
    signed_in(r2)
    html = client.get(f"/console/disputes/{dispute.number}/").content.decode()
    assert 'class="decision-form"' in html and "Take this appeal" in html
    assert decide(client, dispute, "refund_full", note_customer="Signature differs").status_code == 302
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.FINAL and dispute.refunded_minor == 20_000
    assert balance(buyer) == customer_after_first + 20_000
    assert ledger_verify() == []


def test_internal_notes_show_in_the_console_and_never_on_the_parties_pages(
    client, signed_in, buyer, shop, r1
):
    dispute = responded(buyer, shop)
    signed_in(r1)
    secret = "Merchant has 3 similar disputes, check the courier"
    response = client.post(f"/console/disputes/{dispute.number}/notes/", {"body": secret})
    assert response.status_code == 302
    assert secret in client.get(f"/console/disputes/{dispute.number}/").content.decode()
    assert client.post(f"/console/disputes/{dispute.number}/notes/", {"body": "  "}).status_code == 400
    assert DisputeNote.objects.filter(dispute=dispute).count() == 1
    client.logout()
    signed_in(buyer)
    customer_page = client.get(f"/account/disputes/{dispute.number}/")
    assert customer_page.status_code == 200 and secret not in customer_page.content.decode()
    client.logout()
    signed_in(shop)
    merchant_page = client.get(f"/merchant/disputes/{dispute.number}/")
    assert merchant_page.status_code == 200 and secret not in merchant_page.content.decode()


# --- hooks: the console home and the customer 360 -------------------------------------------------


def test_console_home_shows_the_queue_line_and_the_360_lists_the_disputes(client, signed_in, buyer, shop, r1):
    dispute = responded(buyer, shop, urgent=True, due_in_days=-2)
    signed_in(r1)
    home = client.get("/console/").content.decode()
    assert 'href="/console/disputes/"' in home
    assert "1 to review · 1 urgent · 1 overdue" in home
    for user in (buyer, shop):
        html = client.get(f"/console/customers/{user.pk}/").content.decode()
        assert f'href="/console/disputes/{dispute.number}/"' in html
    buyer_panel = client.get(f"/console/customers/{buyer.pk}/").content.decode()
    assert re.search(r"No disputes as the merchant", buyer_panel)


# --- a long timeline is folded on every page -----------------------------------------------------


def test_a_long_timeline_shows_its_first_and_latest_steps_and_links_to_all(
    client, signed_in, buyer, shop, r1
):
    dispute = responded(buyer, shop)
    first_codes = list(dispute.events.order_by("created_at", "pk").values_list("code", flat=True))
    start = timezone.now() + timedelta(minutes=1)
    DisputeEvent.objects.bulk_create(
        DisputeEvent(
            dispute=dispute,
            kind="step",
            party="customer",
            actor=buyer,
            code="evidence_added",
            reason=f"extra-{i:03d}",
            created_at=start + timedelta(seconds=i),
        )
        for i in range(40)
    )
    total = dispute.events.count()
    hidden = total - 3 - 20
    pages = [(r1, f"/console/disputes/{dispute.number}/"), (buyer, f"/account/disputes/{dispute.number}/")]
    pages.append((shop, f"/merchant/disputes/{dispute.number}/"))
    for user, url in pages:
        client.logout()
        signed_in(user)
        html = client.get(url).content.decode()
        shown = re.findall(r"extra-(\d{3})", html)
        # the 20 latest steps, none of the folded ones; the link says how many are folded
        assert shown == [f"{i:03d}" for i in range(20, 40)], url
        assert re.search(rf'\?timeline=all#[\w-]+">[^<]*\b{hidden}\b', html), url
        everything = client.get(url + "?timeline=all").content.decode()
        assert re.findall(r"extra-(\d{3})", everything) == [f"{i:03d}" for i in range(40)]
        assert "?timeline=all#" not in everything
    # the first three steps (how it started) stay; the merchant's contest statement is still beside the
    # evidence although its step is folded away
    client.logout()
    signed_in(r1)
    assert "merchant_contested" in first_codes[3:]
    statements = (
        client.get(f"/console/disputes/{dispute.number}/").content.decode().split('id="timeline-head"')[0]
    )
    assert CONTEST_STATEMENT in statements
    window = timeline_window(dispute)
    assert [e.code for e in window.events[:3]] == first_codes[:3] and window.hidden == hidden
    assert window.gap_at == 3 and len(window.events) == 23
