"""Disputes API: contact the merchant, open (201; a second dispute on the payment 409), lists per role,
one dispute with its conversation, evidence and timeline, messages, evidence upload and download,
the merchant's refusal and response, withdrawal, appeal, staff review and decision; 404 for a stranger
on every endpoint; bad input a 4xx that changes nothing; internal notes never in an answer; the
upload cap; documented in the OpenAPI schema."""

import hashlib
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from okpay.disputes import actions, policy
from okpay.disputes.models import Dispute, DisputeMessage, DisputeNote, Evidence
from okpay.wallet.actions import payment_create, topup_demo
from okpay.wallet.ledger import ledger_verify, wallet_account
from okpay.wallet.models import Transaction

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]

BASE = "/api/v1/disputes"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def png(name="shot.png", content=PNG):
    return SimpleUploadedFile(name, content, content_type="image/png")


def token_client(user, prefix: str) -> Client:
    from okpay.accounts.actions import api_token_hash
    from okpay.accounts.models import ApiToken

    ApiToken.objects.create(
        user=user, name="t", prefix=prefix, secret_hash=api_token_hash("s3cret"), scope="write"
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer okp_{prefix}_s3cret", HTTP_ACCEPT_LANGUAGE="en")


def post_json(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def balance(user, currency="CNY"):
    account = wallet_account(user, currency)
    account.refresh_from_db()
    return account.available_balance


@pytest.fixture
def shop(make_user):
    return make_user(email="shop@example.com", role="merchant", full_name="小店")


@pytest.fixture
def paid(customer, shop):
    topup_demo(user=customer, amount_minor=100_000, currency="CNY", key="seed")
    return payment_create(
        customer=customer, merchant=shop, amount_minor=20_000, currency="CNY", description="耳机", key="p1"
    )


@pytest.fixture
def row(customer, paid):
    return Transaction.objects.get(user=customer, reference=f"payment:{paid.pk}", kind="payment")


@pytest.fixture
def api(customer):
    return token_client(customer, "cust00000001")


@pytest.fixture
def shop_api(shop):
    return token_client(shop, "shop00000001")


@pytest.fixture
def reviewers(make_user):
    r1 = make_user(email="r1@okpay.example", role="agent")
    r2 = make_user(email="r2@okpay.example", role="agent")
    return token_client(r1, "revw00000001"), token_client(r2, "revw00000002")


@pytest.fixture
def stranger_apis(make_user):
    return [
        token_client(make_user(email="who@example.com"), "strg00000001"),
        token_client(make_user(email="other.shop@example.com", role="merchant"), "strg00000002"),
    ]


def contact(api, row, message="还没收到货"):
    return post_json(api, f"{BASE}/contact", {"transaction_id": row.pk, "message": message})


def open_unauthorized(api, row, amount="200.00"):
    return post_json(
        api,
        BASE,
        {"transaction_id": row.pk, "reason": "unauthorized", "amount": amount, "description": "不是我付的"},
    )


def contested(api, shop_api, row, amount="150.00"):
    """contact → merchant refuses → open → merchant contests: waiting for OKPay's review."""
    number = contact(api, row).json()["id"]
    assert post_json(shop_api, f"{BASE}/{number}/refuse", {"body": "已经发货了"}).status_code == 200
    response = post_json(
        api,
        BASE,
        {"transaction_id": row.pk, "reason": "not_received", "amount": amount, "description": "物流没有更新"},
    )
    assert response.status_code == 201, response.content
    response = post_json(
        shop_api, f"{BASE}/{number}/respond", {"decision": "contest", "statement": "有签收记录"}
    )
    assert response.status_code == 200, response.content
    return number


# --- happy paths ---------------------------------------------------------------------------------------


def test_contact_then_open_after_the_merchant_refuses(api, shop_api, customer, shop, paid, row):
    merchant_before = balance(shop)
    response = contact(api, row)
    assert response.status_code == 201, response.content
    body = response.json()
    number = body["id"]
    assert number.startswith("D-") and body["status"] == "merchant_contact"
    assert body["amount"] is None and body["role"] == "customer"
    assert body["next_deadline"]["kind"] == "merchant_answer" and body["next_deadline"]["due_at"]
    assert body["payment"] == {
        "id": paid.pk,
        "transaction_id": row.pk,
        "amount": "200.00",
        "refunded": "0.00",
        "currency": "CNY",
        "description": "耳机",
        "merchant_name": "小店",
        "customer_name": customer.display_name,
        "created_at": body["payment"]["created_at"],
    }
    assert [m["body"] for m in body["messages"]] == ["还没收到货"]
    assert "open" not in body["may"]

    refused = post_json(shop_api, f"{BASE}/{number}/refuse", {"body": "已经发货了"})
    assert refused.status_code == 200 and refused.json()["role"] == "merchant"
    assert "open" in api.get(f"{BASE}/{number}").json()["may"]

    response = post_json(
        api,
        BASE,
        {
            "transaction_id": row.pk,
            "reason": "not_received",
            "amount": "150.00",
            "description": "物流没有更新",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id"] == number and body["status"] == "open" and body["status_label"]
    assert body["reason"] == "not_received" and body["amount"] == "150.00" and body["currency"] == "CNY"
    assert body["held"] == "150.00" and body["next_deadline"]["kind"] == "merchant_response"
    assert body["next_deadline"]["due_at"] and body["response_due_at"] and body["review_due_at"] is None
    assert body["created_at"] and body["opened_at"]
    assert [row["code"] for row in body["timeline"]] == ["contacted", "merchant_refused", "opened"]
    assert balance(shop) == merchant_before - 15_000
    assert ledger_verify() == []


def test_unauthorized_opens_at_once(api, shop, row):
    response = open_unauthorized(api, row)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "open" and body["is_urgent"] is True and body["amount"] == "200.00"


def test_a_second_dispute_on_the_same_payment_is_409(api, row):
    assert open_unauthorized(api, row).status_code == 201
    again = open_unauthorized(api, row)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "dispute_exists"
    assert "already a dispute" in again.json()["error"]["message"]
    assert contact(api, row).json()["error"]["code"] == "dispute_exists"
    assert Dispute.objects.count() == 1


def test_other_reasons_need_the_merchant_conversation_first(api, shop, row):
    response = post_json(
        api, BASE, {"transaction_id": row.pk, "reason": "not_received", "amount": "10.00", "description": "x"}
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "contact_merchant_first"
    assert Dispute.objects.count() == 0


def test_lists_per_role(api, shop_api, reviewers, customer, shop, row, make_user):
    number = open_unauthorized(api, row).json()["id"]
    mine = api.get(BASE).json()
    assert [d["id"] for d in mine["results"]] == [number] and mine["results"][0]["role"] == "customer"
    assert mine["next_cursor"] is None
    theirs = shop_api.get(BASE).json()  # a merchant: as merchant by default
    assert [d["id"] for d in theirs["results"]] == [number] and theirs["results"][0]["role"] == "merchant"
    assert theirs["results"][0]["payment"]["transaction_id"] == (
        Transaction.objects.get(user=shop, kind="payment_received").pk
    )
    assert shop_api.get(BASE, {"role": "customer"}).json()["results"] == []
    refused = api.get(BASE, {"role": "merchant"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    staff = reviewers[0].get(BASE).json()
    assert [d["id"] for d in staff["results"]] == [number] and staff["results"][0]["role"] == "okpay"
    assert staff["results"][0]["payment"]["transaction_id"] is None
    assert reviewers[0].get(BASE, {"urgent": "false"}).json()["results"] == []
    assert reviewers[0].get(BASE, {"status": "open"}).json()["results"][0]["id"] == number
    assert reviewers[0].get(BASE, {"status": "withdrawn"}).json()["results"] == []
    assert api.get(BASE, {"status": "bogus"}).status_code == 422


def test_list_pages_by_cursor(api, customer, shop):
    topup_demo(user=customer, amount_minor=100_000, currency="CNY", key="seed")
    numbers = []
    for n in range(3):
        payment = payment_create(
            customer=customer, merchant=shop, amount_minor=1_000, currency="CNY", description="x", key=f"k{n}"
        )
        history = Transaction.objects.get(user=customer, reference=f"payment:{payment.pk}", kind="payment")
        numbers.append(open_unauthorized(api, history, amount="10.00").json()["id"])
    first = api.get(BASE, {"limit": 2}).json()
    second = api.get(BASE, {"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [d["id"] for d in first["results"] + second["results"]] == numbers[::-1]
    assert api.get(BASE, {"cursor": "nonsense"}).json()["error"]["code"] == "bad_cursor"


def test_messages_evidence_upload_and_download(api, shop_api, customer, shop, row):
    number = open_unauthorized(api, row).json()["id"]
    response = post_json(api, f"{BASE}/{number}/messages", {"body": "请尽快处理"})
    assert response.status_code == 201, response.content
    assert response.json()["party"] == "customer" and response.json()["author"] == "You"
    response = api.post(
        f"{BASE}/{number}/evidence",
        {"files": [png("a.png"), png("b.png")], "kind": "receipt", "note": "付款截图"},
    )
    assert response.status_code == 201, response.content
    files = response.json()
    assert [f["name"] for f in files] == ["a.png", "b.png"]
    assert {f["kind"] for f in files} == {"receipt"} and files[0]["note"] == "付款截图"
    assert files[0]["sha256"] == hashlib.sha256(PNG).hexdigest() and files[0]["size"] == len(PNG)
    assert files[0]["party"] == "customer" and files[0]["is_late"] is False

    detail = shop_api.get(f"{BASE}/{number}").json()
    assert [m["body"] for m in detail["messages"]] == ["请尽快处理"]
    assert detail["messages"][0]["author"] == customer.display_name
    assert [e["id"] for e in detail["evidence"]] == [f["id"] for f in files]
    assert set(detail["evidence"][0]) == {
        "id", "kind", "kind_label", "name", "content_type", "size", "sha256", "party", "note",
        "is_late", "created_at", "url",
    }  # fmt: skip
    for client in (api, shop_api):
        download = client.get(files[0]["url"])
        assert download.status_code == 200
        assert download["Content-Disposition"].startswith("attachment")
        assert download["X-Content-Type-Options"] == "nosniff"
        assert b"".join(download.streaming_content) == PNG
    other = open_unauthorized(api, _another_payment(customer, shop), amount="10.00").json()["id"]
    assert api.get(f"{BASE}/{other}/evidence/{files[0]['id']}").status_code == 404  # the wrong dispute
    assert api.get(f"{BASE}/{number}/evidence/99999999").status_code == 404


def _another_payment(customer, shop):
    payment = payment_create(
        customer=customer, merchant=shop, amount_minor=1_000, currency="CNY", description="y", key="other"
    )
    return Transaction.objects.get(user=customer, reference=f"payment:{payment.pk}", kind="payment")


def test_the_merchant_accepts(api, shop_api, customer, row):
    number = open_unauthorized(api, row).json()["id"]
    before = balance(customer)
    response = post_json(shop_api, f"{BASE}/{number}/respond", {"decision": "accept", "statement": ""})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "resolved_customer" and body["refunded"] == "200.00"
    assert balance(customer) == before + 20_000
    assert ledger_verify() == []


def test_the_customer_may_not_respond_for_the_merchant(api, row):
    number = open_unauthorized(api, row).json()["id"]
    response = post_json(api, f"{BASE}/{number}/respond", {"decision": "accept", "statement": ""})
    assert response.status_code == 403
    assert Dispute.objects.get().status == "open"


def test_contest_review_partial_decision_then_appeal_to_another_reviewer(
    api, shop_api, reviewers, customer, row
):
    r1, r2 = reviewers
    number = contested(api, shop_api, row)
    assert api.get(f"{BASE}/{number}").json()["next_deadline"]["kind"] == "review"
    assert "review" in r1.get(f"{BASE}/{number}").json()["may"]
    assert r1.post(f"{BASE}/{number}/review").json()["status"] == "under_review"
    response = post_json(
        r1,
        f"{BASE}/{number}/decision",
        {
            "outcome": "refund_partial",
            "amount": "50.00",
            "note_customer": "NOTE-FOR-CUSTOMER",
            "note_merchant": "NOTE-FOR-MERCHANT",
        },
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "resolved_partial" and response.json()["refunded"] == "50.00"
    customer_view = api.get(f"{BASE}/{number}").content.decode()
    merchant_view = shop_api.get(f"{BASE}/{number}").content.decode()
    assert "NOTE-FOR-CUSTOMER" in customer_view and "NOTE-FOR-MERCHANT" not in customer_view
    assert "NOTE-FOR-MERCHANT" in merchant_view and "NOTE-FOR-CUSTOMER" not in merchant_view
    body = api.get(f"{BASE}/{number}").json()
    assert "appeal" in body["may"] and body["next_deadline"]["kind"] == "appeal_window"

    response = api.post(f"{BASE}/{number}/appeal", {"reason": "只退了一部分", "files": [png("new.png")]})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "appealed"
    same = post_json(
        r1,
        f"{BASE}/{number}/decision",
        {"outcome": "refund_full", "note_customer": "a", "note_merchant": "b"},
    )
    assert same.status_code == 403 and same.json()["error"]["code"] == "same_reviewer"
    assert r2.post(f"{BASE}/{number}/review").status_code == 200
    response = post_json(
        r2,
        f"{BASE}/{number}/decision",
        {"outcome": "refund_full", "note_customer": "a", "note_merchant": "b"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "final" and response.json()["refunded"] == "150.00"
    assert ledger_verify() == []


def test_an_appeal_needs_a_file(api, shop_api, reviewers, row):
    r1, _r2 = reviewers
    number = contested(api, shop_api, row)
    r1.post(f"{BASE}/{number}/review")
    post_json(
        r1, f"{BASE}/{number}/decision", {"outcome": "rejected", "note_customer": "a", "note_merchant": "b"}
    )
    response = api.post(f"{BASE}/{number}/appeal", {"reason": "不同意"})
    assert response.status_code == 422 and response.json()["error"]["code"] == "new_evidence_required"
    assert Dispute.objects.get().status == "resolved_merchant"


def test_the_customer_withdraws(api, shop, row):
    number = open_unauthorized(api, row).json()["id"]
    before, held = balance(shop), Dispute.objects.get().held_minor
    assert held == 19_880  # all the merchant had (the payment less its fee)
    response = post_json(api, f"{BASE}/{number}/withdraw", {"reason": "已经收到退款"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "withdrawn" and response.json()["may"] == []
    assert balance(shop) == before + held
    assert ledger_verify() == []


# --- who may ------------------------------------------------------------------------------------------------


def test_a_party_calling_the_staff_decision_is_403_and_nothing_changes(api, shop_api, reviewers, row):
    number = contested(api, shop_api, row)
    reviewers[0].post(f"{BASE}/{number}/review")
    decision = {"outcome": "refund_full", "note_customer": "a", "note_merchant": "b"}
    for client in (api, shop_api):
        response = post_json(client, f"{BASE}/{number}/decision", decision)
        assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"
        assert client.post(f"{BASE}/{number}/review").status_code == 403
    dispute = Dispute.objects.get()
    assert dispute.status == "under_review" and dispute.refunded_minor == 0


def test_a_stranger_gets_404_on_every_endpoint(api, shop_api, stranger_apis, row):
    number = open_unauthorized(api, row).json()["id"]
    item = api.post(f"{BASE}/{number}/evidence", {"files": [png()]}).json()[0]
    counts = (Dispute.objects.count(), DisputeMessage.objects.count(), Evidence.objects.count())
    status = Dispute.objects.get().status
    for client in stranger_apis:
        assert client.get(f"{BASE}/{number}").status_code == 404
        assert client.get(f"{BASE}/{number}/evidence/{item['id']}").status_code == 404
        assert client.get(BASE).json()["results"] == []
        for path, data in (
            ("messages", {"body": "hi"}),
            ("refuse", {"body": "no"}),
            ("respond", {"decision": "accept", "statement": ""}),
            ("withdraw", {"reason": ""}),
            ("decision", {"outcome": "refund_full", "note_customer": "a", "note_merchant": "b"}),
            ("review", {}),
        ):
            response = post_json(client, f"{BASE}/{number}/{path}", data)
            assert response.status_code == 404, (path, response.content)
            assert response.json()["error"]["code"] == "not_found"
        for path, data in (("evidence", {"files": [png()]}), ("appeal", {"reason": "x", "files": [png()]})):
            assert client.post(f"{BASE}/{number}/{path}", data).status_code == 404, path
        # their own transaction ids only: the customer's history row is not theirs
        assert contact(client, row).status_code == 404
        assert open_unauthorized(client, row).status_code == 404
    assert (Dispute.objects.count(), DisputeMessage.objects.count(), Evidence.objects.count()) == counts
    assert Dispute.objects.get().status == status
    assert Client().get(f"{BASE}/{number}").status_code == 401


def test_internal_notes_never_appear_in_any_answer(api, shop_api, reviewers, row, make_user):
    number = open_unauthorized(api, row).json()["id"]
    dispute = Dispute.objects.get()
    staff = make_user(email="note@okpay.example", role="agent")
    actions.dispute_note_add(author=staff, dispute_id=dispute.pk, body="SECRET-INTERNAL-NOTE")
    assert DisputeNote.objects.count() == 1
    for client in (api, shop_api, reviewers[0]):
        for url in (f"{BASE}/{number}", BASE):
            assert "SECRET-INTERNAL-NOTE" not in client.get(url).content.decode()


# --- bad input ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "amount",
    [
        "1e999",
        "NaN",
        "-1",
        "0.001",
        "0",
        "",
        "  ",
        "1e2",
        "１００",
        "12,34",
        "300.00",
        "9" * 41,
        12,
        None,
        [],
        True,
    ],
)
def test_bad_amounts_are_a_4xx_and_change_nothing(api, shop, customer, row, amount):
    before = (balance(customer), balance(shop))
    response = post_json(
        api, BASE, {"transaction_id": row.pk, "reason": "unauthorized", "amount": amount, "description": "x"}
    )
    assert 400 <= response.status_code < 500, response.content
    assert "error" in response.json() or "detail" in response.json()
    assert Dispute.objects.count() == 0
    assert (balance(customer), balance(shop)) == before


@pytest.mark.parametrize("amount", ["1e999", "NaN", "-1", "0.001", "200.00", "0", 5])
def test_bad_partial_amounts_are_a_4xx_and_change_nothing(api, shop_api, reviewers, row, amount):
    number = contested(api, shop_api, row)
    reviewers[0].post(f"{BASE}/{number}/review")
    response = post_json(
        reviewers[0],
        f"{BASE}/{number}/decision",
        {"outcome": "refund_partial", "amount": amount, "note_customer": "a", "note_merchant": "b"},
    )
    assert 400 <= response.status_code < 500, response.content
    dispute = Dispute.objects.get()
    assert dispute.status == "under_review" and dispute.refunded_minor == 0


@pytest.mark.parametrize(
    "body",
    [
        '{"transaction_id": 1, "reason": "unauthorized", "amount": "1.00", "description": "a\\u0000b"}',
        '{"transaction_id": 1, "reason": "unauthorized", "amount": "1.00", "description": "\\ud800"}',
        '{"transaction_id": "abc", "reason": "unauthorized", "amount": "1.00", "description": "x"}',
        '{"transaction_id": 1180591620717411303424, "reason": "x", "amount": "1", "description": ""}',
        '{"transaction_id": -1, "reason": "unauthorized", "amount": "1.00", "description": "x"}',
        '{"transaction_id": 1, "reason": "bogus", "amount": "1.00", "description": "x"}',
        '{"transaction_id": 1, "reason": "unauthorized", "amount": "1.00", "description": ""}',
        '{"transaction_id": 1, "reason": "unauthorized", "amount": "1.00"}',
        '{"transaction_id": 1, "reason": "unauthorized", "amount": "1.00", "description": "'
        + "x" * 5000
        + '"}',
        "[1, 2]",
        "not json",
        "",
    ],
)
def test_bad_bodies_are_a_4xx_and_create_nothing(api, row, body):
    body = body.replace('"transaction_id": 1,', f'"transaction_id": {row.pk},')
    response = api.post(BASE, body, content_type="application/json")
    assert 400 <= response.status_code < 500, response.content
    assert Dispute.objects.count() == 0


def test_a_history_row_that_is_not_a_payment_is_refused(api, customer, row):
    topup = Transaction.objects.filter(user=customer, kind="topup").first()
    response = open_unauthorized(api, topup)
    assert response.status_code == 422 and response.json()["error"]["code"] == "not_a_payment"
    assert Dispute.objects.count() == 0


def test_bad_files_are_a_4xx_and_store_nothing(api, row, monkeypatch):
    number = open_unauthorized(api, row).json()["id"]
    fake = SimpleUploadedFile("shot.png", b"MZ\x90 not a png", content_type="image/png")
    response = api.post(f"{BASE}/{number}/evidence", {"files": [fake]})
    assert response.status_code == 422 and response.json()["error"]["code"] == "bad_file"
    response = api.post(f"{BASE}/{number}/evidence", {"note": "no file"})
    assert response.status_code == 422 and response.json()["error"]["code"] == "file_required"
    response = api.post(f"{BASE}/{number}/evidence", {"files": [png()], "kind": "bogus"})
    assert response.status_code == 422
    response = api.post(f"{BASE}/{number}/evidence", {"files": [png()], "note": "a\x00b"})
    assert response.status_code == 422
    monkeypatch.setitem(policy.evidence_rules(), "max_files_per_submission", 2)
    response = api.post(f"{BASE}/{number}/evidence", {"files": [png(), png(), png()]})
    assert response.status_code == 422 and response.json()["error"]["code"] == "too_many_files"
    monkeypatch.setitem(policy.evidence_rules(), "max_bytes_per_file", 100)
    response = api.post(f"{BASE}/{number}/evidence", {"files": [png(content=PNG + b"\x00" * 200)]})
    assert response.status_code == 413 and response.json()["error"]["code"] == "file_too_large"
    assert Evidence.objects.count() == 0


def test_upload_bodies_are_capped(api, row):
    from okpay.core.uploads import _view_body_limit
    from okpay.disputes.views import upload_cap

    for path in ("evidence", "appeal"):
        assert _view_body_limit(f"/api/v1/disputes/D-ABC2345/{path}") == upload_cap()
    assert _view_body_limit("/api/v1/disputes/D-ABC2345/messages") is None
    assert _view_body_limit("/api/v1/disputes") is None
    number = open_unauthorized(api, row).json()["id"]
    response = api.post(f"{BASE}/{number}/evidence", {"files": [png()]}, CONTENT_LENGTH=str(upload_cap() + 1))
    assert response.status_code == 413 and response.json()["error"]["code"] == "too_large"
    assert Evidence.objects.count() == 0


def test_the_site_session_uploads_with_its_csrf_token(api, customer, row):
    number = open_unauthorized(api, row).json()["id"]
    browser = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    browser.force_login(customer)
    refused = browser.post(f"{BASE}/{number}/evidence", {"files": [png()]})
    assert refused.status_code == 403 and Evidence.objects.count() == 0
    secret = "a" * 32
    browser.cookies["csrftoken"] = secret
    response = browser.post(f"{BASE}/{number}/evidence", {"files": [png()]}, HTTP_X_CSRFTOKEN=secret)
    assert response.status_code == 201, response.content
    assert Evidence.objects.count() == 1


def _asgi_run(scope, chunks):
    """Django's ASGI handler behind RequestBodyLimit, as config.asgi serves it; `chunks` feed the body.
    Returns (response status, chunks pulled, body)."""
    import asyncio

    from asgiref.sync import async_to_sync
    from django.core import signals
    from django.core.handlers.asgi import ASGIHandler
    from django.db import close_old_connections

    from okpay.core.uploads import RequestBodyLimit

    pulled, sent = [], []

    async def receive():
        if len(pulled) >= len(chunks):  # after the body, a server answers only on disconnect
            await asyncio.Event().wait()
        pulled.append(chunks[len(pulled)])
        return pulled[-1]

    async def send(message):
        sent.append(message)

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        async_to_sync(RequestBodyLimit(ASGIHandler()))(scope, receive, send)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], len(pulled), body.decode()


def test_under_asgi_an_oversized_upload_is_never_received(api, row, monkeypatch):
    monkeypatch.setitem(policy.evidence_rules(), "max_bytes_per_file", 64 * 1024)
    monkeypatch.setitem(policy.evidence_rules(), "max_files_per_submission", 2)
    number = open_unauthorized(api, row).json()["id"]
    chunk = {"type": "http.request", "body": b"\x00" * 65536, "more_body": True}
    for path in ("evidence", "appeal"):
        headers = [
            (b"host", b"testserver"),
            (b"authorization", b"Bearer okp_cust00000001_s3cret"),
            (b"content-type", b"multipart/form-data; boundary=x"),
        ]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": f"{BASE}/{number}/{path}",
            "root_path": "",
            "query_string": b"",
            "headers": [*headers, (b"content-length", b"209715200")],  # 200 MB declared
            "client": ("192.0.2.1", 1234),
            "server": ("testserver", 80),
        }
        status, pulled, body = _asgi_run(scope, [chunk] * 400)
        assert status == 413 and pulled == 0 and json.loads(body)["error"]["code"] == "too_large"
        # without a Content-Length the body is cut off once it passes the cap (128 KB + 1 MB: 19 chunks)
        status, pulled, body = _asgi_run({**scope, "headers": headers}, [chunk] * 400)
        assert status == 413 and pulled == 19
    assert Evidence.objects.count() == 0


# --- documentation -----------------------------------------------------------------------------------


def test_the_openapi_schema_lists_the_endpoints(api):
    schema = api.get("/api/v1/openapi.json").json()
    operations = {
        (path, method): operation
        for path, item in schema["paths"].items()
        if path.startswith(BASE)
        for method, operation in item.items()
    }
    assert set(operations) == {
        (BASE, "get"),
        (BASE, "post"),
        (f"{BASE}/contact", "post"),
        (f"{BASE}/{{dispute_id}}", "get"),
        (f"{BASE}/{{dispute_id}}/messages", "post"),
        (f"{BASE}/{{dispute_id}}/evidence", "post"),
        (f"{BASE}/{{dispute_id}}/evidence/{{evidence_id}}", "get"),
        (f"{BASE}/{{dispute_id}}/refuse", "post"),
        (f"{BASE}/{{dispute_id}}/respond", "post"),
        (f"{BASE}/{{dispute_id}}/withdraw", "post"),
        (f"{BASE}/{{dispute_id}}/appeal", "post"),
        (f"{BASE}/{{dispute_id}}/review", "post"),
        (f"{BASE}/{{dispute_id}}/decision", "post"),
    }
    for operation in operations.values():
        assert operation["summary"] and operation["tags"] == ["disputes"]
        assert "404" in operation["responses"] or "403" in operation["responses"]
    created = operations[(BASE, "post")]["responses"]
    assert set(created) >= {"201", "404", "409", "422"}
    assert (
        "multipart/form-data"
        in operations[(f"{BASE}/{{dispute_id}}/evidence", "post")]["requestBody"]["content"]
    )
