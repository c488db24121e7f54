"""The customer's payout destination pages: sign-in and the wallet-holder role, adding each kind,
refusals that store nothing (a bad IBAN, a wrong password), the card number never echoed, removing with
the password, another customer's destination, CSRF, and input no view should see."""

from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.test import Client

from okpay.accounts.tests.factories import PASSWORD
from okpay.core.models import AuditEvent
from okpay.payouts.actions import destination_add
from okpay.payouts.models import PayoutDestination

pytestmark = pytest.mark.smoke

LIST = "/account/withdraw/destinations/"
NEW = "/account/withdraw/destinations/new/"
CN_CARD = "6222021001122334458"  # 19 digits, Luhn-valid
DEBIT_CARD = "4111111111111111"
IBAN = "DE89370400440532013000"
NET = "203.0.113.7"


def remove_url(destination_id) -> str:
    return f"/account/withdraw/destinations/{destination_id}/remove/"


def add_data(kind: str, /, **extra) -> dict:
    by_kind = {
        "iban": {"iban": "de89 3704 0044 0532 0130 00", "iban_holder": "Emma Smith"},
        "cn_bank_card": {
            "cn_card_number": "6222 0210 0112 2334 458",
            "cn_bank": "ICBC",
            "cn_holder": "王小明",
        },
        "debit_card": {"debit_card_number": DEBIT_CARD, "debit_holder": "EMMA SMITH"},
        "ewallet": {"provider": "alipay", "account": "138 0013 8000"},
    }
    return {"kind": kind, **by_kind[kind], "password": PASSWORD, **extra}


def stored(user, kind: str, account: str = "") -> PayoutDestination:
    return destination_add(
        user=user,
        kind=kind,
        data={"card_number": CN_CARD, "bank_code": "ICBC", "holder_name": "王小明"}
        if kind == "cn_bank_card"
        else {"iban": account or IBAN, "holder_name": "Emma Smith"},
        password=PASSWORD,
        network=NET,
    )


@pytest.mark.parametrize("path", [LIST, NEW, remove_url(1)])
def test_pages_need_sign_in(client, db, path):
    response = client.get(path)
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


@pytest.mark.parametrize("path", [LIST, NEW, remove_url(1)])
def test_staff_are_refused(client, signed_in, agent, path):
    signed_in(agent)  # the test settings do not ask staff for two-factor
    assert client.get(path).status_code == 403
    assert client.post(path, add_data("iban")).status_code == 403
    assert not PayoutDestination.objects.exists()


def test_a_merchant_is_a_wallet_holder_too(client, signed_in, make_user):
    signed_in(make_user(email="shop@example.com", role="merchant", language="en"))
    assert client.get(LIST).status_code == 200


def test_empty_list_offers_to_add_one(client, signed_in, customer_en):
    signed_in(customer_en)
    response = client.get(LIST)
    assert response.status_code == 200
    assert b"You have no payout destinations yet." in response.content
    assert f'href="{NEW}"'.encode() in response.content


def test_my_account_links_to_the_list(client, signed_in, customer_en):
    signed_in(customer_en)
    assert f'href="{LIST}"'.encode() in client.get("/account/").content


def test_the_form_offers_every_kind_and_the_banks_in_the_page_language(client, signed_in, customer_en):
    signed_in(customer_en)
    page = client.get(NEW).content.decode()
    for kind in ("iban", "cn_bank_card", "debit_card", "ewallet"):
        assert f'value="{kind}"' in page
    assert "Industrial and Commercial Bank of China" in page
    assert 'name="code"' not in page  # no two-factor: the password only
    assert 'inputmode="numeric"' in page and 'autocomplete="off"' in page
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": NEW})
    assert "中国工商银行" in client.get(NEW).content.decode()


@pytest.mark.parametrize(
    ("kind", "masked", "institution"),
    [
        ("iban", "•••• 3000", "Commerzbank"),  # the IBAN registry's bank
        ("cn_bank_card", "•••• 4458", "Industrial and Commercial Bank of China"),
        ("debit_card", "•••• 1111", "Visa"),
        ("ewallet", "•••• 8000", "Alipay"),
    ],
)
def test_add_each_kind(client, signed_in, customer_en, committed, mailoutbox, kind, masked, institution):
    signed_in(customer_en)
    with committed():
        response = client.post(NEW, add_data(kind, label="Main"))
    assert response.status_code == 302 and response.url == LIST
    added = PayoutDestination.objects.get(user=customer_en)
    assert (added.kind, added.masked, added.label, added.cooling_off) == (kind, masked, "Main", True)
    page = client.get(LIST).content.decode()
    assert masked in page and "Cooling off until" in page and "Main" in page
    assert institution in page
    assert "Added. Large withdrawals to it are possible from" in page
    assert len(mailoutbox) == 1


def test_only_the_chosen_kinds_fields_are_read(client, signed_in, customer_en):
    signed_in(customer_en)
    response = client.post(NEW, {**add_data("ewallet"), "iban": "not an iban", "cn_card_number": "123"})
    assert response.status_code == 302
    assert PayoutDestination.objects.get().kind == "ewallet"


def test_a_bad_iban_shows_the_reason_next_to_it_and_stores_nothing(client, signed_in, customer_en):
    signed_in(customer_en)
    response = client.post(NEW, add_data("iban", iban="DE88370400440532013000"))
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["iban"] == ["This IBAN's check digits are wrong: please copy it again from your bank."]
    assert "This IBAN&#x27;s check digits are wrong" in response.content.decode()
    assert not PayoutDestination.objects.exists()
    assert not AuditEvent.objects.filter(action="step_up.failed").exists()  # refused before the password


@pytest.mark.parametrize(
    ("kind", "extra", "field"),
    [
        ("cn_bank_card", {"cn_card_number": "6222021001122334457"}, "cn_card_number"),
        ("cn_bank_card", {"cn_bank": ""}, "cn_bank"),
        ("cn_bank_card", {"cn_holder": ""}, "cn_holder"),
        ("debit_card", {"debit_card_number": "4111 1111 1111"}, "debit_card_number"),
        ("ewallet", {"account": "12345"}, "account"),
        ("ewallet", {"provider": ""}, "provider"),
        ("iban", {"iban_holder": "<b>"}, "iban_holder"),
        ("iban", {"label": "a<b"}, "label"),
    ],
)
def test_refusals_are_shown_next_to_their_field(client, signed_in, customer_en, kind, extra, field):
    signed_in(customer_en)
    response = client.post(NEW, add_data(kind, **extra))
    assert response.status_code == 400
    assert list(response.context["form"].errors) == [field]
    assert not PayoutDestination.objects.exists()


def test_an_empty_post_shows_what_is_missing(client, signed_in, customer_en):
    signed_in(customer_en)
    response = client.post(NEW, {})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"kind", "password"}


def test_no_kind_chosen(client, signed_in, customer_en):
    signed_in(customer_en)
    response = client.post(NEW, {"password": PASSWORD, "iban": IBAN})
    assert response.status_code == 400 and "kind" in response.context["form"].errors
    assert not PayoutDestination.objects.exists()


def test_a_wrong_password_is_refused_and_nothing_is_stored(client, signed_in, customer_en):
    signed_in(customer_en)
    response = client.post(NEW, add_data("iban", password="wrong"))
    assert response.status_code == 400
    assert response.context["form"].errors["password"] == ["The password is not right."]
    assert not PayoutDestination.objects.exists()
    assert AuditEvent.objects.filter(action="step_up.failed").count() == 1
    page = response.content.decode()
    assert (
        'value="wrong"' not in page and "de89 3704" in page
    )  # the IBAN is kept to correct, not the password


def test_a_missing_password_is_asked_for(client, signed_in, customer_en):
    signed_in(customer_en)
    response = client.post(NEW, add_data("iban", password=""))
    assert response.status_code == 400 and "password" in response.context["form"].errors
    assert not PayoutDestination.objects.exists()


@pytest.mark.parametrize(("kind", "number"), [("cn_bank_card", CN_CARD), ("debit_card", DEBIT_CARD)])
def test_the_card_number_is_never_written_back(client, signed_in, customer_en, kind, number):
    signed_in(customer_en)
    field = "cn_card_number" if kind == "cn_bank_card" else "debit_card_number"
    refused = client.post(NEW, add_data(kind, **{field: number}, password="wrong"))
    assert refused.status_code == 400
    assert number not in refused.content.decode()
    added = client.post(NEW, add_data(kind, **{field: number}), follow=True)
    assert added.status_code == 200 and PayoutDestination.objects.count() == 1
    assert number not in added.content.decode() and number[-4:] in added.content.decode()
    assert number not in str(list(AuditEvent.objects.values_list("data", flat=True)))


def test_a_duplicate_is_a_form_error(client, signed_in, customer_en):
    signed_in(customer_en)
    client.post(NEW, add_data("iban"))
    response = client.post(NEW, add_data("iban"))
    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == ["This destination is already in your list."]
    assert PayoutDestination.objects.count() == 1


def current_code(device) -> str:
    from django_otp.oath import totp

    device.refresh_from_db()
    device.throttle_reset()  # django-otp slows down retries after a wrong code
    type(device).objects.filter(pk=device.pk).update(last_t=-1)  # the sign-in's code may be used again
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_two_factor_customers_give_the_code_too(client, signed_in, customer_en):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=customer_en, name="phone", confirmed=True)
    signed_in(customer_en)
    assert client.post("/accounts/2fa/verify/", {"code": current_code(device)}).status_code == 302
    assert 'name="code"' in client.get(NEW).content.decode()
    missing = client.post(NEW, add_data("iban"))
    assert missing.status_code == 400 and "code" in missing.context["form"].errors
    wrong = client.post(NEW, add_data("iban", code="000000"))
    assert wrong.context["form"].errors["code"] == [
        "Enter the current 6-digit code from your authenticator app."
    ]
    assert not PayoutDestination.objects.exists()
    assert client.post(NEW, add_data("iban", code=current_code(device))).status_code == 302
    added = PayoutDestination.objects.get()
    refused = client.post(remove_url(added.pk), {"password": PASSWORD})
    assert refused.status_code == 400 and "code" in refused.context["form"].errors
    removed = client.post(remove_url(added.pk), {"password": PASSWORD, "code": current_code(device)})
    assert removed.status_code == 302
    added.refresh_from_db()
    assert added.removed_at is not None


def test_the_cooling_off_badge_shows_local_time_and_goes_away(client, signed_in, customer_en):
    signed_in(customer_en)  # Europe/London
    added = stored(customer_en, "iban")
    later = datetime(2030, 7, 15, 8, 30, tzinfo=UTC)
    PayoutDestination.objects.filter(pk=added.pk).update(usable_for_large_after=later)
    page = client.get(LIST).content.decode()
    assert "Cooling off until 15 Jul 2030 09:30" in page  # 08:30 UTC is 09:30 in London in summer
    PayoutDestination.objects.filter(pk=added.pk).update(usable_for_large_after=added.created_at)
    assert "Cooling off until" not in client.get(LIST).content.decode()


def test_an_iban_of_a_bank_the_registry_does_not_know_shows_its_country(client, signed_in, customer_en):
    signed_in(customer_en)
    stored(customer_en, "iban", account="GB82 WEST 1234 5698 7654 32")
    assert "United Kingdom" in client.get(LIST).content.decode()


def test_the_chinese_list(client, signed_in, customer):
    signed_in(customer)
    stored(customer, "cn_bank_card")
    page = client.get(LIST).content.decode()
    assert "中国工商银行" in page and "•••• 4458" in page


def test_remove_with_the_password(client, signed_in, customer_en, committed, mailoutbox):
    signed_in(customer_en)
    added = stored(customer_en, "iban")
    page = client.get(LIST).content.decode()
    assert f'href="{remove_url(added.pk)}"' in page
    confirm = client.get(remove_url(added.pk))
    assert confirm.status_code == 200 and "•••• 3000" in confirm.content.decode()
    refused = client.post(remove_url(added.pk), {"password": "wrong"})
    assert refused.status_code == 400 and refused.context["form"].errors["password"]
    added.refresh_from_db()
    assert added.removed_at is None
    with committed():
        response = client.post(remove_url(added.pk), {"password": PASSWORD})
    assert response.status_code == 302 and response.url == LIST
    added.refresh_from_db()
    assert added.removed_at is not None
    listed = client.get(LIST).content.decode()
    assert "•••• 3000" not in listed and "Removed. Withdrawals can no longer go to it." in listed
    assert [m.subject for m in mailoutbox][-1:] and len(mailoutbox) == 1
    assert client.get(remove_url(added.pk)).status_code == 404  # gone from the list: nothing to remove


def test_another_customers_destination_is_404_and_unchanged(client, signed_in, customer, customer_en):
    theirs = stored(customer, "cn_bank_card")
    signed_in(customer_en)
    assert client.get(remove_url(theirs.pk)).status_code == 404
    assert client.post(remove_url(theirs.pk), {"password": PASSWORD}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.removed_at is None
    assert "4458" not in client.get(LIST).content.decode()
    assert client.get(remove_url(2**70)).status_code == 404


def test_forms_need_the_csrf_token(customer_en):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(customer_en)
    assert browser.post(NEW, add_data("iban")).status_code == 403
    assert not PayoutDestination.objects.exists()
    added = stored(customer_en, "iban")
    assert browser.post(remove_url(added.pk), {"password": PASSWORD}).status_code == 403
    added.refresh_from_db()
    assert added.removed_at is None
    page = browser.get(NEW).content.decode()
    assert 'name="csrfmiddlewaretoken"' in page


@pytest.mark.parametrize(
    "extra",
    [
        {"iban": "DE89\x00370400440532013000"},
        {"label": "a\x00b"},
        {"password": "x\x00"},
        {"iban": "D" * 10_000},
        {"iban_holder": "名" * 5_000},
        {"label": "x" * 100_000},
        {"password": "p" * 100_000},
        {"kind": "x" * 10_000},
    ],
)
def test_nul_and_huge_input_get_a_4xx(client, signed_in, customer_en, extra):
    signed_in(customer_en)
    response = client.post(NEW, add_data("iban", **extra))
    assert 400 <= response.status_code < 500
    assert not PayoutDestination.objects.exists()


def test_an_oversized_body_is_refused(client, signed_in, customer_en):
    signed_in(customer_en)
    response = client.post(NEW, add_data("iban", label="x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)))
    assert response.status_code == 413
    assert not PayoutDestination.objects.exists()
