"""The withdrawal pages (资金转出): sign-in and the wallet-holder role, the form (balances, destinations,
speeds, a link to add a destination when there is none), the confirmation (fee, amount received,
total, method, arrival in the customer's time zone; nothing stored), submit → status page, a double
submit landing on the one withdrawal, each refusal next to its field with nothing held (exact balances),
cancel giving the money back, the review and failure notes, history, another customer's 404, CSRF,
and input no view should see."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import Client

from okpay.accounts.tests.factories import PASSWORD
from okpay.payouts.actions import destination_add
from okpay.payouts.models import Withdrawal
from okpay.payouts.providers import sandbox_sweep
from okpay.payouts.withdrawals import withdrawal_submit
from okpay.wallet.actions import topup_demo
from okpay.wallet.ledger import wallet_account

pytestmark = pytest.mark.smoke

FORM = "/account/withdraw/"
CONFIRM = "/account/withdraw/confirm/"
HISTORY = "/account/withdraw/history/"
CN_CARD = "6222021001122334458"
SH = ZoneInfo("Asia/Shanghai")
START = 500_000  # ¥5,000.00


@pytest.fixture(autouse=True)
def sandbox(settings):
    settings.OKPAY_PAYOUT_PROVIDER = "sandbox"


@pytest.fixture(autouse=True)
def rates(db):
    from okpay.wallet.fx import rates_refresh

    rates_refresh()


@pytest.fixture
def emma(customer_en):
    """An English customer at level 1 with ¥5,000.00 and a cooled-off Chinese bank card."""
    customer_en.verification_level = 1
    customer_en.save(update_fields=["verification_level"])
    topup_demo(user=customer_en, amount_minor=START, currency="CNY", key="seed")
    customer_en.card = destination(customer_en)
    return customer_en


def destination(user, kind="cn_bank_card", cooled=True):
    data = {
        "cn_bank_card": {"card_number": CN_CARD, "bank_code": "ICBC", "holder_name": "Emma Smith"},
        "debit_card": {"card_number": "4111111111111111", "holder_name": "EMMA SMITH"},
    }[kind]
    added = destination_add(user=user, kind=kind, data=data, password=PASSWORD, network="203.0.113.9")
    if cooled:
        added.usable_for_large_after = added.created_at
        added.save(update_fields=["usable_for_large_after"])
    return added


def balances(user, currency="CNY") -> tuple[int, int]:
    account = wallet_account(user, currency)
    account.refresh_from_db()
    return account.available_balance, account.posted_balance


def form_data(dest, amount="100.00", **extra) -> dict:
    return {"currency": "CNY", "amount": amount, "destination": dest.pk, "speed": "standard", **extra}


def field_block(page: str, name: str) -> str:
    """The HTML of the form field `name` (its wrapper up to the next field's)."""
    for block in page.split('<div class="field')[1:]:
        if f'name="{name}"' in block:
            return block
    raise AssertionError(f"no field {name}")


def assert_refused_at(response, name: str, message: str):
    assert response.status_code == 400
    block = field_block(response.content.decode(), name)
    assert block.startswith(" field-error"), block[:200]
    assert message in block


def detail_url(withdrawal) -> str:
    return f"/account/withdraw/{withdrawal.pk}/"


# --- access -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", [FORM, CONFIRM, HISTORY, "/account/withdraw/1/", "/account/withdraw/1/cancel/"]
)
def test_pages_need_sign_in(client, db, path):
    response = client.get(path)
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


@pytest.mark.parametrize(
    "path", [FORM, CONFIRM, HISTORY, "/account/withdraw/1/", "/account/withdraw/1/cancel/"]
)
def test_staff_are_refused(client, signed_in, agent, path):
    signed_in(agent)
    assert client.get(path).status_code == 403
    assert client.post(path, {"currency": "CNY", "amount": "10"}).status_code == 403


def test_my_account_and_the_home_page_link_to_the_flow(client, signed_in, customer_en):
    assert f'href="{FORM}"'.encode() in client.get("/").content  # the home page's 资金转出 card
    signed_in(customer_en)
    page = client.get("/account/").content.decode()
    assert f'href="{FORM}"' in page and "Withdraw funds" in page


def test_without_a_destination_the_page_offers_to_add_one(client, signed_in, customer_en):
    signed_in(customer_en)
    response = client.get(FORM)
    assert response.status_code == 200
    page = response.content.decode()
    assert "You have no payout destinations yet." in page
    assert 'href="/account/withdraw/destinations/new/"' in page
    assert 'name="amount"' not in page


# --- the form and the confirmation ------------------------------------------------------------------


def test_the_form_shows_balances_destinations_and_the_speeds_they_have(client, signed_in, emma):
    signed_in(emma)
    page = client.get(FORM).content.decode()
    assert "CN¥5,000.00" in page
    assert "Chinese bank card (bank transfer) •••• 4458 · Industrial and Commercial Bank of China" in page
    assert 'value="standard"' in page and 'value="instant"' not in page  # no debit card: no instant
    assert "Sandbox" in page
    destination(emma, "debit_card")
    page = client.get(FORM).content.decode()
    assert 'value="instant"' in page and "Instant is for debit cards only" in page


def test_confirm_shows_fee_received_total_method_and_arrival_and_stores_nothing(
    client, signed_in, emma, time_machine
):
    time_machine.move_to(datetime(2026, 9, 4, 15, 0, tzinfo=SH), tick=False)  # a Friday in Shanghai
    signed_in(emma)
    response = client.post(FORM, form_data(emma.card, amount="100"))
    assert response.status_code == 302
    assert response.url.startswith(CONFIRM + "?")
    page = client.get(response.url).content.decode()
    assert "Confirm your withdrawal" in page
    assert re.search(r"Amount received</dt><dd[^>]*>CN¥100\.00<", page)
    assert re.search(r"Fee</dt><dd[^>]*>CN¥1\.00<", page)  # 0.1% of 100.00 is below the 1.00 minimum
    assert re.search(r"Total taken from your balance</dt><dd[^>]*><strong>CN¥101\.00<", page)
    assert re.search(r"Balance after</dt><dd>CN¥4,899\.00<", page)
    assert "Bank transfer" in page and "•••• 4458" in page
    # 1–3 business days: by Wednesday 9 September 15:00 in Shanghai = 08:00 in London (Emma's zone)
    assert re.search(r"Estimated arrival</dt><dd[^>]*>by 9 Sep 2026 08:00<", page), page
    assert 'name="idempotency_key"' in page
    assert CN_CARD not in page
    assert not Withdrawal.objects.exists()
    assert balances(emma) == (START, START)


def test_confirm_without_values_goes_back_to_the_form(client, signed_in, emma):
    signed_in(emma)
    response = client.get(CONFIRM)
    assert response.status_code == 302 and response.url == FORM


def test_change_brings_the_values_back(client, signed_in, emma):
    signed_in(emma)
    page = client.get(FORM + f"?currency=CNY&amount=12.50&destination={emma.card.pk}&speed=standard").content
    assert b'value="12.50"' in page


def test_confirm_submit_and_status_page(client, signed_in, emma, committed, mailoutbox):
    signed_in(emma)
    confirm_url = client.post(FORM, form_data(emma.card)).url
    page = client.get(confirm_url).content.decode()
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', page).group(1)
    with committed():
        response = client.post(CONFIRM, {**form_data(emma.card), "idempotency_key": key})
    withdrawal = Withdrawal.objects.get()
    assert response.status_code == 302 and response.url == detail_url(withdrawal)
    assert (withdrawal.amount_minor, withdrawal.fee_minor, withdrawal.status) == (10_000, 100, "processing")
    assert balances(emma) == (START - 10_100, START)  # held, not yet posted

    status = client.get(detail_url(withdrawal)).content.decode()
    assert f"Withdrawal WD-{withdrawal.pk}" in status
    assert "In transit" in status and "Sandbox" in status
    assert "•••• 4458" in status and CN_CARD not in status
    assert re.search(r"Fee</dt><dd>CN¥1\.00<", status)
    assert re.search(r"Total taken from your balance</dt><dd>CN¥101\.00<", status)
    assert "Estimated arrival" in status
    timeline = status.split('class="timeline"')[1].split("</ol>")[0]
    assert timeline.index("Pending") < timeline.index("In transit")
    assert "Cancel this withdrawal" not in status  # on its way: no cancel
    assert len(mailoutbox) == 1  # submitted

    sandbox_sweep(now=withdrawal.provider_due_at)
    status = client.get(detail_url(withdrawal)).content.decode()
    assert "Paid out" in status and "badge-ok" in status
    assert balances(emma) == (START - 10_100, START - 10_100)


def test_a_double_submit_lands_on_the_same_withdrawal(client, signed_in, emma):
    signed_in(emma)
    data = {**form_data(emma.card), "idempotency_key": "same-key"}
    first = client.post(CONFIRM, data)
    second = client.post(CONFIRM, data)
    assert first.status_code == second.status_code == 302
    assert first.url == second.url
    assert Withdrawal.objects.count() == 1
    assert balances(emma) == (START - 10_100, START)
    other = client.post(CONFIRM, {**form_data(emma.card, amount="200"), "idempotency_key": "same-key"})
    assert other.status_code == 400
    assert "This one-time key was already used for another withdrawal." in other.content.decode()
    assert Withdrawal.objects.count() == 1


def test_a_confirmation_without_its_key_is_refused(client, signed_in, emma):
    signed_in(emma)
    response = client.post(CONFIRM, form_data(emma.card))
    assert response.status_code == 400
    assert "The request is missing its one-time key." in response.content.decode()
    assert not Withdrawal.objects.exists()


# --- refusals: next to the field, nothing held --------------------------------------------------


def test_amount_too_small(client, signed_in, emma):
    signed_in(emma)
    response = client.post(FORM, form_data(emma.card, amount="0.50"))
    assert_refused_at(response, "amount", "The smallest withdrawal is CN¥1.00.")
    response = client.post(CONFIRM, {**form_data(emma.card, amount="0.50"), "idempotency_key": "k"})
    assert_refused_at(response, "amount", "The smallest withdrawal is CN¥1.00.")
    assert not Withdrawal.objects.exists()
    assert balances(emma) == (START, START)


@pytest.mark.parametrize("amount", ["abc", "-5", "1e3", "１００", "1.234"])
def test_amount_not_a_plain_number(client, signed_in, emma, amount):
    signed_in(emma)
    response = client.post(FORM, form_data(emma.card, amount=amount))
    assert response.status_code == 400
    assert field_block(response.content.decode(), "amount").startswith(" field-error")
    assert balances(emma) == (START, START)


def test_insufficient_funds(client, signed_in, emma):
    signed_in(emma)
    message = "Your available balance is not enough for this payment."
    assert_refused_at(client.post(FORM, form_data(emma.card, amount="4999.50")), "amount", message)
    submitted = client.post(CONFIRM, {**form_data(emma.card, amount="4999.50"), "idempotency_key": "k"})
    assert_refused_at(submitted, "amount", message)
    assert not Withdrawal.objects.exists()
    assert balances(emma) == (START, START)


def test_the_verification_level_limit(client, signed_in, emma):
    emma.verification_level = 0  # 50 EUR per withdrawal
    emma.save(update_fields=["verification_level"])
    signed_in(emma)
    message = "This is more than your verification level allows in one withdrawal."
    assert_refused_at(client.post(FORM, form_data(emma.card, amount="1000")), "amount", message)  # early
    response = client.post(CONFIRM, {**form_data(emma.card, amount="1000"), "idempotency_key": "k"})
    assert_refused_at(response, "amount", message)
    assert 'value="1000"' in response.content.decode()  # the form keeps what was typed
    assert not Withdrawal.objects.exists()
    assert balances(emma) == (START, START)


def test_a_destination_still_cooling_off(client, signed_in, emma):
    fresh = destination(emma, "debit_card", cooled=False)
    signed_in(emma)
    message = "This destination is new: large withdrawals to it are possible"
    assert_refused_at(client.post(FORM, form_data(fresh, amount="4500")), "destination", message)  # early
    response = client.post(CONFIRM, {**form_data(fresh, amount="4500"), "idempotency_key": "k"})
    assert_refused_at(response, "destination", message)
    assert not Withdrawal.objects.exists()
    assert balances(emma) == (START, START)


def test_a_speed_the_destination_does_not_have(client, signed_in, emma):
    destination(emma, "debit_card")  # instant is offered, but not for the bank card
    signed_in(emma)
    message = "This destination has no such speed. Choose standard."
    assert_refused_at(client.post(FORM, form_data(emma.card, speed="instant")), "speed", message)
    submitted = client.post(CONFIRM, {**form_data(emma.card, speed="instant"), "idempotency_key": "k"})
    assert_refused_at(submitted, "speed", message)
    assert not Withdrawal.objects.exists()
    assert balances(emma) == (START, START)


def test_instant_to_a_debit_card(client, signed_in, emma):
    card = destination(emma, "debit_card")
    signed_in(emma)
    page = client.get(client.post(FORM, form_data(card, speed="instant")).url).content.decode()
    assert "Debit card, instant" in page
    assert re.search(r"Fee</dt><dd[^>]*>CN¥2\.00<", page)  # 1.5% of 100.00 → the 2.00 minimum


def test_another_customers_destination_is_not_a_choice(client, signed_in, emma, customer):
    theirs = destination(customer)
    signed_in(emma)
    response = client.post(FORM, form_data(theirs))
    assert_refused_at(response, "destination", "Choose one of your payout destinations.")
    submitted = client.post(CONFIRM, {**form_data(theirs), "idempotency_key": "k"})
    assert submitted.status_code == 400
    assert not Withdrawal.objects.exists()


# --- status, review, failure, cancel ------------------------------------------------------------


def test_under_review_explains_without_promising_a_time(client, signed_in, emma, settings):
    settings.OKPAY_PAYOUT_PROVIDER = "manual"
    signed_in(emma)
    # a first withdrawal of 500 EUR or more to this destination is reviewed
    client.post(CONFIRM, {**form_data(emma.card, amount="4500"), "idempotency_key": "k"})
    withdrawal = Withdrawal.objects.get()
    assert withdrawal.status == "under_review"
    page = client.get(detail_url(withdrawal)).content.decode()
    assert "Under review" in page
    note = page.split('class="notice withdrawal-review">')[1].split("</p>")[0]
    assert "We are reviewing this withdrawal" in note and "You can cancel it until it is decided" in note
    # an approval sends no email (only paid, failed, cancelled and rejected do): the note promises none
    assert "email" not in note
    assert "usually" not in note and "hour" not in note and "day" not in note
    assert "Sandbox" not in page
    assert f'href="/account/withdraw/{withdrawal.pk}/cancel/"' in page


@pytest.mark.parametrize("provider", ["manual", "review"])
def test_cancel_gives_the_money_back(client, signed_in, emma, settings, committed, provider):
    settings.OKPAY_PAYOUT_PROVIDER = "manual"
    signed_in(emma)
    amount = "4500" if provider == "review" else "100"
    client.post(CONFIRM, {**form_data(emma.card, amount=amount), "idempotency_key": "k"})
    withdrawal = Withdrawal.objects.get()
    assert withdrawal.status == ("under_review" if provider == "review" else "requested")
    assert balances(emma)[0] == START - withdrawal.total_minor
    cancel = f"/account/withdraw/{withdrawal.pk}/cancel/"
    page = client.get(cancel).content.decode()
    assert "Cancel this withdrawal?" in page and 'method="post"' in page
    assert Withdrawal.objects.get().status == withdrawal.status  # showing the question changes nothing
    with committed():
        response = client.post(cancel)
    assert response.status_code == 302 and response.url == detail_url(withdrawal)
    withdrawal.refresh_from_db()
    assert withdrawal.status == "canceled"
    assert balances(emma) == (START, START)
    page = client.get(detail_url(withdrawal)).content.decode()
    assert "Cancelled. The amount and the fee are back in your balance." in page
    assert "Cancel this withdrawal" not in page
    again = client.post(cancel)  # twice: the first one counts
    assert again.status_code == 302
    assert "can no longer be cancelled" not in client.get(detail_url(withdrawal)).content.decode()
    assert balances(emma) == (START, START)


def test_a_withdrawal_on_its_way_cannot_be_cancelled(client, signed_in, emma):
    signed_in(emma)
    client.post(CONFIRM, {**form_data(emma.card), "idempotency_key": "k"})
    withdrawal = Withdrawal.objects.get()
    cancel = f"/account/withdraw/{withdrawal.pk}/cancel/"
    assert client.get(cancel).url == detail_url(withdrawal)
    client.post(cancel)
    withdrawal.refresh_from_db()
    assert withdrawal.status == "processing"
    assert (
        "This withdrawal can no longer be cancelled." in client.get(detail_url(withdrawal)).content.decode()
    )
    assert balances(emma) == (START - 10_100, START)


def test_a_failed_withdrawal_shows_the_reason_and_the_money_back(client, signed_in, emma):
    signed_in(emma)
    client.post(CONFIRM, {**form_data(emma.card, amount="13.13"), "idempotency_key": "k"})  # the test amount
    withdrawal = Withdrawal.objects.get()
    sandbox_sweep(now=withdrawal.provider_due_at)
    page = client.get(detail_url(withdrawal)).content.decode()
    assert "Failed" in page
    assert "The receiving bank or provider declined the payment." in page
    assert "The full amount and the fee are back in your balance." in page
    assert balances(emma) == (START, START)


def test_history_lists_my_withdrawals_newest_first(client, signed_in, emma, customer):
    for n, amount in enumerate((1_000, 2_000)):
        withdrawal_submit(
            user=emma,
            destination_id=emma.card.pk,
            amount_minor=amount,
            currency="CNY",
            speed="standard",
            key=f"h{n}",
        )
    topup_demo(user=customer, amount_minor=10_000, currency="CNY", key="c")
    theirs = withdrawal_submit(
        user=customer,
        destination_id=destination(customer).pk,
        amount_minor=3_000,
        currency="CNY",
        speed="standard",
        key="t",
    )
    signed_in(emma)
    page = client.get(HISTORY).content.decode()
    assert page.index("CN¥20.00") < page.index("CN¥10.00")
    assert "CN¥30.00" not in page and f"WD-{theirs.pk}" not in page
    assert "CN¥20.00" in client.get(FORM).content.decode()  # the form page shows the latest too


def test_another_customers_withdrawal_is_404(client, signed_in, emma, customer, settings):
    settings.OKPAY_PAYOUT_PROVIDER = "manual"
    topup_demo(user=customer, amount_minor=10_000, currency="CNY", key="c")
    theirs = withdrawal_submit(
        user=customer,
        destination_id=destination(customer).pk,
        amount_minor=3_000,
        currency="CNY",
        speed="standard",
        key="t",
    )
    signed_in(emma)
    assert client.get(detail_url(theirs)).status_code == 404
    assert client.get(f"/account/withdraw/{theirs.pk}/cancel/").status_code == 404
    assert client.post(f"/account/withdraw/{theirs.pk}/cancel/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "requested"
    assert client.get(f"/account/withdraw/{2**70}/").status_code == 404


def test_the_transaction_page_of_a_withdrawal_links_to_its_status_page(client, signed_in, emma, customer):
    withdrawal = withdrawal_submit(
        user=emma, destination_id=emma.card.pk, amount_minor=1_000, currency="CNY", speed="standard", key="tx"
    )
    signed_in(emma)
    page = client.get(f"/account/transactions/{withdrawal.transaction_id}/").content.decode()
    assert f'href="{detail_url(withdrawal)}"' in page
    # only ever for the withdrawal's owner
    from okpay.payouts.okpay_hooks import _transaction_links

    links = _transaction_links(withdrawal.transaction, withdrawal.user)
    assert [url for _label, url in links] == [detail_url(withdrawal)]
    assert _transaction_links(withdrawal.transaction, customer) == []
    assert _transaction_links(withdrawal.transaction, None) == []


# --- CSRF and hostile input ---------------------------------------------------------------------------


def test_forms_need_the_csrf_token(emma, settings):
    settings.OKPAY_PAYOUT_PROVIDER = "manual"
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(emma)
    assert browser.post(FORM, form_data(emma.card)).status_code == 403
    assert browser.post(CONFIRM, {**form_data(emma.card), "idempotency_key": "k"}).status_code == 403
    assert not Withdrawal.objects.exists()
    withdrawal = withdrawal_submit(
        user=emma, destination_id=emma.card.pk, amount_minor=1_000, currency="CNY", speed="standard", key="x"
    )
    assert browser.post(f"/account/withdraw/{withdrawal.pk}/cancel/").status_code == 403
    withdrawal.refresh_from_db()
    assert withdrawal.status == "requested"
    assert 'name="csrfmiddlewaretoken"' in browser.get(FORM).content.decode()


@pytest.mark.parametrize(
    "extra",
    [
        {"amount": "10\x00"},
        {"currency": "CN\x00"},
        {"idempotency_key": "k\x00"},
        {"amount": "9" * 10_000},
        {"currency": "X" * 10_000},
        {"destination": "1" * 10_000},
        {"speed": "s" * 10_000},
        {"idempotency_key": "k" * 10_000},
    ],
)
def test_nul_and_huge_input_get_a_4xx(client, signed_in, emma, extra):
    signed_in(emma)
    for path in (FORM, CONFIRM):
        response = client.post(path, {**form_data(emma.card), "idempotency_key": "k", **extra})
        if path == FORM and list(extra) == ["idempotency_key"]:
            continue  # the form step does not read a key
        assert 400 <= response.status_code < 500, (path, extra)
    assert not Withdrawal.objects.exists()
    assert balances(emma) == (START, START)


def test_an_oversized_body_is_refused(client, signed_in, emma):
    signed_in(emma)
    data = {
        **form_data(emma.card),
        "idempotency_key": "k",
        "pad": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10),
    }
    assert client.post(CONFIRM, data).status_code == 413
    assert not Withdrawal.objects.exists()


def test_the_pages_in_chinese(client, signed_in, emma):
    emma.language = "zh-hans"
    emma.save(update_fields=["language"])
    signed_in(emma)
    page = client.get(FORM).content.decode()
    assert "资金转出" in page and "中国工商银行" in page
