"""Payout destinations: the allow-lists (IBAN through schwifty, Chinese bank cards, debit cards,
e-wallet accounts) after NFKC, and adding/removing with the password again (and the TOTP code),
an audit row and an email; a debit card's number is never stored."""

import pytest
from django.core.exceptions import ValidationError

from okpay.accounts.tests.factories import PASSWORD
from okpay.core.errors import DomainError
from okpay.core.models import AuditEvent
from okpay.payouts import validation
from okpay.payouts.actions import destination_add, destination_remove
from okpay.payouts.models import PayoutDestination

CN_CARD = "6222021001122334458"  # 19 digits, Luhn-valid
NET = "203.0.113.7"


@pytest.mark.parametrize(
    ("text", "compact", "country"),
    [
        ("DE89370400440532013000", "DE89370400440532013000", "DE"),
        ("de89 3704 0044 0532 0130 00", "DE89370400440532013000", "DE"),  # spaces, lower case
        ("ＧＢ８２ＷＥＳＴ１２３４５６９８７６５４３２", "GB82WEST12345698765432", "GB"),  # full-width
        ("GB82-WEST-1234-5698-7654-32", "GB82WEST12345698765432", "GB"),
    ],
)
def test_valid_ibans_are_normalised(text, compact, country):
    iban = validation.iban_check(text)
    assert (iban.compact, iban.country) == (compact, country)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("DE88370400440532013000", "iban_checksum"),  # one check digit off
        ("DE8937040044053201300", "iban_length"),  # a digit missing
        ("XX89370400440532013000", "iban_country"),
        ("DE89 3704 0044 0532 0130 0<", "iban_invalid"),
        ("", "iban_invalid"),
    ],
)
def test_bad_ibans_are_refused_with_a_reason(text, code):
    with pytest.raises(ValidationError) as refused:
        validation.iban_check(text)
    assert refused.value.code == code


def test_chinese_bank_cards():
    assert validation.cn_bank_card_check("6222 0210 0112 2334 458", "ICBC") == CN_CARD
    assert validation.cn_bank_card_check("６２２２０２１００１１２２３３４４５８", "ICBC") == CN_CARD
    for number, code in (
        ("6222021001122334457", "card_checksum"),
        ("622202100112233", "card_length"),
        ("62220210011223344580000", "card_length"),
        ("6222O21001122334458", "card_length"),  # a letter O
        ("٦٢٢٢٠٢١٠٠١١٢٢٣٣٤٤٥٨", "card_length"),  # Arabic-Indic digits are not accepted
    ):
        with pytest.raises(ValidationError) as refused:
            validation.cn_bank_card_check(number, "ICBC")
        assert refused.value.code == code, number
    with pytest.raises(ValidationError) as refused:
        validation.cn_bank_card_check(CN_CARD, "NOBANK")
    assert refused.value.code == "bank_unknown"


def test_debit_cards_keep_brand_last_four_and_a_fingerprint_only():
    card = validation.debit_card_check("4111 1111 1111 1111")
    assert (card.last4, card.brand) == ("1111", "visa")
    assert len(card.fingerprint) == 64 and "4111" not in card.fingerprint
    assert validation.debit_card_check("4111111111111111").fingerprint == card.fingerprint
    assert validation.debit_card_check("6200000000000005").brand == "unionpay"
    assert validation.debit_card_check("5555555555554444").brand == "mastercard"
    with pytest.raises(ValidationError):
        validation.debit_card_check("4111111111111112")


def test_ewallet_accounts():
    assert validation.ewallet_account_check("alipay", "138 0013 8000") == "+8613800138000"
    assert validation.ewallet_account_check("paypal", "Emma@Example.com") == "emma@example.com"
    assert validation.ewallet_account_check("wechat", "+44 7700 900123") == "+447700900123"
    for provider, account in (("alipay", "12345"), ("alipay", "not an address"), ("venmo", "a@b.example")):
        with pytest.raises(ValidationError):
            validation.ewallet_account_check(provider, account)


@pytest.mark.django_db
def test_adding_needs_the_password_and_is_audited_and_emailed(customer, committed, mailoutbox):
    data = {"card_number": CN_CARD, "bank_code": "ICBC", "holder_name": "王小明"}
    with pytest.raises(DomainError) as refused:
        destination_add(user=customer, kind="cn_bank_card", data=data, password="wrong", network=NET)
    assert refused.value.code == "reauth_password" and refused.value.status == 403
    assert not PayoutDestination.objects.exists()
    with committed():
        added = destination_add(
            user=customer, kind="cn_bank_card", data=data, label="工资卡", password=PASSWORD, network=NET
        )
    assert (added.account, added.bank_name, added.masked, added.label) == (
        CN_CARD,
        "中国工商银行",
        "•••• 4458",
        "工资卡",
    )
    assert added.cooling_off  # large withdrawals only after the cooling-off period
    assert AuditEvent.objects.filter(action="payout_destination.added").count() == 1
    [mail] = mailoutbox
    assert mail.to == [customer.email] and "•••• 4458" in mail.body and CN_CARD not in mail.body
    with pytest.raises(DomainError) as again:
        destination_add(user=customer, kind="cn_bank_card", data=data, password=PASSWORD, network=NET)
    assert again.value.code == "duplicate"


@pytest.mark.django_db
def test_a_debit_cards_number_is_never_stored(customer):
    added = destination_add(
        user=customer,
        kind="debit_card",
        data={"card_number": "4111111111111111", "holder_name": "WANG XIAOMING"},
        password=PASSWORD,
        network=NET,
    )
    row = PayoutDestination.objects.filter(pk=added.pk).values().get()
    assert "4111111111111111" not in str(row) and row["card_last4"] == "1111"
    assert added.masked == "•••• 1111"


@pytest.mark.django_db
def test_bad_input_is_refused_before_the_password_is_checked(customer):
    with pytest.raises(DomainError) as refused:
        destination_add(
            user=customer, kind="iban", data={"iban": "DE88370400440532013000"}, password="x", network=NET
        )
    assert refused.value.code == "iban_checksum"
    assert not AuditEvent.objects.filter(action__startswith="login.").exists()  # no failure counted


@pytest.mark.django_db
def test_two_factor_users_also_give_the_code(customer):
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=customer, name="phone", confirmed=True)
    data = {"iban": "DE89370400440532013000", "holder_name": "Wang Xiaoming"}
    with pytest.raises(DomainError) as refused:
        destination_add(user=customer, kind="iban", data=data, password=PASSWORD, code="000000", network=NET)
    assert refused.value.code == "reauth_code"
    device.refresh_from_db()
    device.throttle_reset()  # a wrong code throttles the next try for a second (django-otp)
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    added = destination_add(user=customer, kind="iban", data=data, password=PASSWORD, code=code, network=NET)
    assert (added.country, added.masked) == ("DE", "•••• 3000")


@pytest.mark.django_db
def test_repeated_wrong_passwords_lock_like_the_sign_in(customer):
    data = {"provider": "alipay", "account": "13800138000"}
    for _ in range(5):
        with pytest.raises(DomainError):
            destination_add(user=customer, kind="ewallet", data=data, password="wrong", network=NET)
    with pytest.raises(DomainError) as locked:
        destination_add(user=customer, kind="ewallet", data=data, password=PASSWORD, network=NET)
    assert (locked.value.code, locked.value.status) == ("reauth_locked", 429)


@pytest.mark.django_db
def test_removing_needs_the_password_and_keeps_the_row(customer, customer_en, committed, mailoutbox):
    added = destination_add(
        user=customer,
        kind="ewallet",
        data={"provider": "alipay", "account": "13800138000"},
        password=PASSWORD,
        network=NET,
    )
    with pytest.raises(DomainError) as other:
        destination_remove(user=customer_en, destination=added, password=PASSWORD, network=NET)
    assert other.value.status == 404
    with pytest.raises(DomainError):
        destination_remove(user=customer, destination=added, password="wrong", network=NET)
    with committed():
        removed = destination_remove(user=customer, destination=added, password=PASSWORD, network=NET)
    assert removed.removed_at is not None and PayoutDestination.objects.filter(pk=added.pk).exists()
    assert "•••• 8000" in mailoutbox[-1].body
    again = destination_add(
        user=customer,
        kind="ewallet",
        data={"provider": "alipay", "account": "13800138000"},
        password=PASSWORD,
        network=NET,
    )
    assert again.pk != added.pk  # a removed destination may be added again (cooling off anew)
