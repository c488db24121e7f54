"""The "send money abroad" form (issue 16 item 8): a sanctioned or unsupported country is refused on
the form with screening's own message before any quote exists; the addresses are asked for when the
amount needs them (screening's threshold); "change the details" brings back everything typed; the
country list has CLDR names in the order each language sorts."""

import re
from html import unescape
from pathlib import Path

import pytest
from django.test import Client

from okpay.core.money import country_name
from okpay.wallet.actions import topup_demo
from okpay.wallet.fx import rates_store
from okpay.wallet.international.forms import country_choices
from okpay.wallet.international.screening import rules
from okpay.wallet.ledger import wallet_account
from okpay.wallet.models import InternationalTransfer, Quote

FIXTURE = (Path(__file__).parent / "fixtures" / "ecb-sample.xml").read_bytes()  # 1 EUR = 8.2104 CNY
URL = "/account/international/"
FORM = {
    "from_currency": "CNY",
    "amount": "1000",
    "recipient_country": "US",
    "to_currency": "USD",
    "recipient_name": "John Smith",
    "recipient_account": "US12 3456 7890",
    "recipient_address": "",
    "sender_address": "",
    "purpose": "tuition",
}
SANCTIONS = "Transfers to %s are not allowed (sanctions). Choose another country or region."
UNSUPPORTED = "We cannot send money to this country or region."
ADDRESSES = {
    "recipient_address": "Enter the recipient's address: this amount needs it.",
    "sender_address": "Enter your address: this amount needs it.",
}


@pytest.fixture
def sender(make_user, signed_in, db):
    rates_store(xml=FIXTURE)
    user = make_user(email="intl-form@example.com", verification_level=2, language="en")
    topup_demo(user=user, amount_minor=5_000_000, currency="CNY", key="seed")
    topup_demo(user=user, amount_minor=500_000, currency="EUR", key="seed-eur")
    signed_in(user)
    return user


def field_errors(html: str, name: str) -> str:
    """The text of the field wrapper holding input `name` (its label, input and errors)."""
    start = r'<div class="field[^"]*"[^>]*>((?:(?!<div class="field).)*?'
    match = re.search(start + f'name="{name}"' + r'.*?)</div>\s*(?=<div class="field|<button)', html, re.S)
    assert match, name
    return unescape(match.group(0))


def address_wrappers(html: str) -> list[str]:
    return re.findall(r"<div class=\"field[^\"]*\" data-address-field[^>]*>", html)


# --- a sanctioned or unsupported country is refused on the form -----------------------------------


@pytest.mark.parametrize(
    ("country", "name"),
    [
        ("KP", "North Korea"),
        ("IR", "Iran"),
        ("SY", "Syria"),
        ("CU", "Cuba"),
        ("ＫＰ", "North Korea"),
        (" kp ", "North Korea"),
    ],
)
def test_a_sanctioned_country_gets_a_field_error_and_no_quote(client, sender, country, name):
    response = client.post(URL, {**FORM, "recipient_country": country})
    assert response.status_code == 400
    html = response.content.decode()
    wrapper = field_errors(html, "recipient_country")
    assert "field-error" in wrapper and SANCTIONS % name in wrapper
    select = re.search(r'<select name="recipient_country".*?</select>', html, re.S).group(0)
    assert " selected" not in select  # no other country shown as if it had been chosen
    assert Quote.objects.count() == 0
    assert InternationalTransfer.objects.count() == 0
    assert wallet_account(sender, "CNY").available_balance == 5_000_000


@pytest.mark.parametrize("country", ["KР", "UЅ", "ZZ", "XK", "1!", "ＺＺ", "", "US" * 5000, "<b>GB</b>"])
def test_an_unsupported_or_look_alike_country_gets_a_field_error_and_no_quote(client, sender, country):
    response = client.post(URL, {**FORM, "recipient_country": country})
    assert response.status_code == 400
    wrapper = field_errors(response.content.decode(), "recipient_country")
    assert "field-error" in wrapper
    assert (UNSUPPORTED in wrapper) or (country == "" and "This field is required." in wrapper)
    assert Quote.objects.count() == 0
    assert wallet_account(sender, "CNY").available_balance == 5_000_000


def test_full_width_supported_country_is_accepted_as_its_code(client, sender):
    response = client.post(URL, {**FORM, "recipient_country": "ＵＳ"})
    assert response.status_code == 302
    assert Quote.objects.get().recipient_country == "US"


def test_the_list_offers_the_supported_countries_and_no_sanctioned_one(client, sender):
    html = client.get(URL).content.decode()
    select = re.search(r'<select name="recipient_country".*?</select>', html, re.S).group(0)
    offered = set(re.findall(r'<option value="([A-Z]{2})"', select))
    assert re.search(r'^<select[^>]*>\s*<option value="" selected>', select)  # none preselected
    data = rules()
    assert offered == set(data["countries"]) - set(data["blocked_countries"])
    assert not offered & set(data["blocked_countries"])
    assert "United Kingdom (GB)" in select


# --- the addresses are asked for when the amount needs them ----------------------------------------


def test_a_small_amount_hides_the_address_fields_and_needs_no_address(client, sender):
    html = client.get(URL).content.decode()
    wrappers = address_wrappers(html)
    assert len(wrappers) == 2 and all(" hidden" in w for w in wrappers)
    response = client.post(URL, FORM)  # 1,000 CNY ≈ 122 EUR
    assert response.status_code == 302


def test_a_large_amount_without_addresses_is_sent_back_with_the_fields_shown_and_no_quote(client, sender):
    response = client.post(URL, {**FORM, "amount": "10,000"})  # ≈ 1,218 EUR
    assert response.status_code == 400
    html = response.content.decode()
    wrappers = address_wrappers(html)
    assert len(wrappers) == 2 and not any(" hidden" in w for w in wrappers)
    for name, message in ADDRESSES.items():
        wrapper = field_errors(html, name)
        assert "field-error" in wrapper and message in wrapper
    assert Quote.objects.count() == 0


def test_a_large_amount_with_one_address_asks_only_for_the_other(client, sender):
    response = client.post(URL, {**FORM, "amount": "10000", "recipient_address": "1 Main St, Springfield"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "field-error" not in field_errors(html, "recipient_address")
    assert ADDRESSES["sender_address"] in field_errors(html, "sender_address")
    assert 'value="1 Main St, Springfield"' in html
    assert Quote.objects.count() == 0


@pytest.mark.parametrize(("amount", "needed"), [("999.99", False), ("1000", True), ("1000.01", True)])
def test_the_threshold_is_screenings(client, sender, amount, needed):
    assert rules()["full_details_from_eur"] == 100_000
    response = client.post(URL, {**FORM, "from_currency": "EUR", "amount": amount})
    assert response.status_code == (400 if needed else 302)
    assert Quote.objects.count() == (0 if needed else 1)


def test_a_large_amount_with_both_addresses_goes_through_to_a_transfer(client, sender):
    response = client.post(
        URL,
        {
            **FORM,
            "amount": "10000",
            "recipient_address": "1 Main St, Springfield",
            "sender_address": "上海市浦东新区 1 号",
        },
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', page).group(1)
    done = client.post(response["Location"], {"idempotency_key": key})
    assert done.status_code == 302
    transfer = InternationalTransfer.objects.get()
    assert "missing_details" not in transfer.reason_codes
    assert transfer.status == "under_review"  # 1,000 EUR or more is reviewed, not refused
    assert transfer.sender_address == "上海市浦东新区 1 号"


def test_the_page_carries_the_threshold_and_rates_for_the_script(client, sender):
    html = client.get(URL).content.decode()
    assert 'data-full-details-from-eur="100000"' in html
    assert "&quot;CNY&quot;: &quot;8.2104" in html
    assert "js/international.js" in html
    assert "&quot;GB&quot;: &quot;GBP&quot;" in html and "&quot;KP&quot;" not in html


# --- "change the details" keeps everything typed ------------------------------------------------


TYPED = {
    "from_currency": "CNY",
    "amount": "10,000.50",
    "recipient_country": "GB",
    "to_currency": "GBP",
    "recipient_name": "Alice Johnson",
    "recipient_account": "GB29 NWBK 6016 1331 9268 19",
    "recipient_address": "10 Downing St, London",
    "sender_address": "上海市浦东新区 1 号",
    "purpose": "family support",
}


def test_change_the_details_returns_to_the_form_with_every_value_typed(client, sender):
    response = client.post(URL, TYPED)
    assert response.status_code == 302
    confirm = client.get(response["Location"]).content.decode()
    quote = Quote.objects.get()
    link = f'href="/account/international/?edit={quote.pk}"'
    assert link in confirm
    html = client.get(f"{URL}?edit={quote.pk}").content.decode()
    for name in (
        "amount",
        "recipient_name",
        "recipient_account",
        "recipient_address",
        "sender_address",
        "purpose",
    ):
        assert re.search(f'name="{name}" value="{re.escape(TYPED[name])}"', html), name
    for name in ("from_currency", "recipient_country", "to_currency"):
        select = re.search(f'<select name="{name}".*?</select>', html, re.S).group(0)
        assert re.search(f'<option value="{TYPED[name]}"[^>]* selected>', select), name
    assert not any(" hidden" in w for w in address_wrappers(html))  # typed addresses are shown
    assert Quote.objects.count() == 1  # nothing was quoted again


def test_change_the_details_of_someone_elses_quote_or_junk_gives_an_empty_form(client, sender, make_user):
    client.post(URL, TYPED)
    quote = Quote.objects.get()
    other = Client()
    other.force_login(make_user(email="other-intl@example.com", verification_level=2))
    for c, query in ((other, str(quote.pk)), (client, "not-a-uuid"), (client, "\u202e" * 50)):
        response = c.get(URL, {"edit": query})
        assert response.status_code == 200
        assert "Alice Johnson" not in response.content.decode()


# --- CLDR names in each language's order ---------------------------------------------------------


def test_countries_are_named_from_cldr_in_each_language():
    assert country_name("GB", "zh-hans") == "英国" and country_name("GB", "en") == "United Kingdom"
    assert ("GB", "英国 (GB)") in country_choices("zh-hans")
    assert ("DE", "Germany (DE)") in country_choices("en")


def test_chinese_list_is_in_pinyin_order():
    order = [code for code, _label in country_choices("zh-hans")]
    # 澳大利亚 ào, 巴西 bā, 德国 dé, 法国 fǎ, 美国 měi, 日本 rì, 英国 yīng, 中国 zhōng (code point
    # order would put 中 first and 德 before 法)
    picked = [code for code in order if code in {"AU", "BR", "DE", "FR", "US", "JP", "GB", "CN"}]
    assert picked == ["AU", "BR", "DE", "FR", "US", "JP", "GB", "CN"]


def test_english_list_is_alphabetical():
    labels = [label for _code, label in country_choices("en")]
    assert labels == sorted(labels, key=str.casefold)
    assert labels[0] == "Afghanistan (AF)" and labels[-1] == "Yemen (YE)"
