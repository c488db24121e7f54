"""The customer's and the merchant's pages: the whole contact → dispute → response path through the
forms, 404 for strangers everywhere, files only for the parties and staff."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from okpay.disputes.models import Dispute, DisputeNote, Evidence
from okpay.wallet.actions import payment_create, topup_demo
from okpay.wallet.models import Transaction

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def png(name="shot.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


@pytest.fixture
def shop(make_user):
    return make_user(email="shop@example.com", role="merchant", full_name="小店")


@pytest.fixture
def paid(customer, shop):
    topup_demo(user=customer, amount_minor=100_000, currency="CNY", key="seed")
    return payment_create(
        customer=customer, merchant=shop, amount_minor=20_000, currency="CNY", description="耳机", key="p1"
    )


def test_contact_refuse_open_contest_through_the_pages(
    client, signed_in, customer, shop, paid, django_user_model
):
    signed_in(customer)
    row = Transaction.objects.get(user=customer, reference=f"payment:{paid.pk}")
    page = client.get(f"/account/transactions/{row.pk}/").content.decode()
    assert f"/account/disputes/contact/{paid.pk}/" in page
    response = client.post(
        f"/account/disputes/contact/{paid.pk}/", {"body": "还没收到货", "attachments": [png()]}
    )
    assert response.status_code == 302
    dispute = Dispute.objects.get()
    assert response["Location"] == f"/account/disputes/{dispute.number}/"
    page = client.get(response["Location"]).content.decode()
    assert "还没收到货" in page and "shot.png" in page

    client.logout()
    signed_in(shop)
    page = client.get("/merchant/disputes/").content.decode()
    assert dispute.number in page
    response = client.post(f"/merchant/disputes/{dispute.number}/refuse/", {"body": "已经发货了"})
    assert response.status_code == 302

    client.logout()
    signed_in(customer)
    page = client.get(f"/account/disputes/{dispute.number}/").content.decode()
    assert f"/account/disputes/open/{paid.pk}/" in page
    response = client.post(
        f"/account/disputes/open/{paid.pk}/",
        {
            "reason": "not_received",
            "amount": "200.00",
            "description": "物流没有更新",
            "attachments": [png("t.png")],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    dispute.refresh_from_db()
    assert dispute.status == "open" and dispute.held_minor == 19_880  # all the merchant has

    client.logout()
    signed_in(shop)
    response = client.post(
        f"/merchant/disputes/{dispute.number}/respond/",
        {"decision": "contest", "statement": "有签收记录", "attachments": [png("pod.png")]},
    )
    assert response.status_code == 302
    dispute.refresh_from_db()
    assert dispute.status == "merchant_responded"
    assert Evidence.objects.filter(dispute=dispute, party="merchant").count() == 1


def test_strangers_get_404_on_every_page_and_file(client, signed_in, customer, shop, paid, make_user):
    from okpay.disputes import actions

    dispute = actions.dispute_contact_start(customer=customer, payment_id=paid.pk, body="hi", files=[png()])
    DisputeNote.objects.create(
        dispute=dispute, author=make_user(email="a@okpay.example", role="agent"), body="SECRET-NOTE"
    )
    item = Evidence.objects.get()
    other_shop = make_user(email="other@example.com", role="merchant")
    stranger = make_user(email="who@example.com")
    signed_in(stranger)
    for url in (
        f"/account/disputes/{dispute.number}/",
        f"/account/disputes/files/{item.pk}/",
        f"/account/disputes/contact/{paid.pk}/",
        f"/account/disputes/open/{paid.pk}/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/account/disputes/{dispute.number}/message/", {"body": "x"}).status_code == 404
    client.logout()
    signed_in(other_shop)
    assert client.get(f"/merchant/disputes/{dispute.number}/").status_code == 404
    assert client.get(f"/account/disputes/files/{item.pk}/").status_code == 404
    client.logout()
    for user in (customer, shop):
        signed_in(user)
        response = client.get(f"/account/disputes/files/{item.pk}/")
        assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
        assert b"".join(response.streaming_content) == PNG
        page = client.get(
            f"/account/disputes/{dispute.number}/"
            if user == customer
            else f"/merchant/disputes/{dispute.number}/"
        ).content.decode()
        assert "SECRET-NOTE" not in page
        client.logout()


def test_bad_input_is_a_4xx_and_stores_nothing(client, signed_in, customer, shop, paid):
    signed_in(customer)
    fake = SimpleUploadedFile("shot.png", b"MZ\x90 not a png", content_type="image/png")
    response = client.post(f"/account/disputes/contact/{paid.pk}/", {"body": "x", "attachments": [fake]})
    assert response.status_code == 400
    assert Dispute.objects.count() == 0
    response = client.post(f"/account/disputes/contact/{paid.pk}/", {"body": ""})
    assert response.status_code == 400
    response = client.post(
        f"/account/disputes/open/{paid.pk}/",
        {"reason": "unauthorized", "amount": "1e9999", "description": "x"},
    )
    assert response.status_code == 400
    response = client.post(
        f"/account/disputes/open/{paid.pk}/",
        {"reason": "unauthorized", "amount": "300.00", "description": "x"},
    )
    assert response.status_code == 400 and Dispute.objects.count() == 0


def test_both_parties_get_a_notice_they_can_read(client, signed_in, customer, shop, paid):
    from okpay.disputes import actions

    actions.dispute_contact_start(customer=customer, payment_id=paid.pk, body="还没收到货")
    signed_in(shop)
    page = client.get("/account/").content.decode()
    assert 'class="badge badge-warn notice-count"' in page
    page = client.get("/notices/").content.decode()
    assert "还没收到货" in page and "/merchant/disputes/D-" in page
    page = client.get("/account/").content.decode()
    assert "notice-count" not in page  # read once the page was opened


def test_nul_is_refused_and_nothing_is_stored(client, signed_in, customer, shop, paid):
    signed_in(customer)
    response = client.post(
        f"/account/disputes/contact/{paid.pk}/",
        data="body=a%00b",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert Dispute.objects.count() == 0


def test_a_surrogate_encoded_in_a_form_is_no_500_and_never_stored(client, signed_in, customer, shop, paid):
    """A form cannot carry a lone surrogate: its UTF-8-like bytes are invalid and are read as U+FFFD."""
    signed_in(customer)
    response = client.post(
        f"/account/disputes/contact/{paid.pk}/",
        data="body=a%ED%A0%80b",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code < 500
    for body in Dispute.objects.values_list("messages__body", flat=True):
        body.encode("utf-8")  # no lone surrogate reached the database


def test_a_body_over_the_upload_cap_is_refused_before_reading(client, signed_in, customer, shop, paid):
    from okpay.disputes.views import upload_cap

    signed_in(customer)
    response = client.post(
        f"/account/disputes/contact/{paid.pk}/",
        data=b"x",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(upload_cap() + 1),
    )
    assert response.status_code == 413
    assert Dispute.objects.count() == 0
