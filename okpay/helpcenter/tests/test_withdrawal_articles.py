"""The withdrawal articles say what the product does: fees, arrival times, limits, review thresholds and
the cooling-off from okpay/payouts/data/withdrawals.json and settings; the status names and failure
reasons as the pages show them (choices.py, in both languages); the buttons they quote as the pages
label them; and every link they give opens a page. The help center has no placeholders: the numbers are
written out, and this test holds them to the data."""

import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.translation import gettext, pgettext

from okpay.helpcenter.shipped import CONTENT_DIR
from okpay.payouts import policy
from okpay.payouts.choices import FailureCode, Method, WithdrawalStatus

pytestmark = pytest.mark.smoke

LANGUAGES = ("zh-hans", "en")
WITHDRAWAL_ARTICLES = (
    "withdraw-funds",
    "cancel-withdrawal",
    "withdrawal-failed",
    "withdrawal-fees",
    "withdrawal-not-arrived",
    "withdrawal-status",
    "withdrawal-times",
    "add-bank-account",
    "link-debit-card",
    "merchant-balance-payouts",
    "fees-overview",
)
FEE_TABLES = (
    "withdraw-funds",
    "withdrawal-fees",
    "withdrawal-times",
    "merchant-balance-payouts",
    "fees-overview",
)


def text(key: str, language: str) -> str:
    return (CONTENT_DIR / "articles" / key / f"{language}.md").read_text(encoding="utf-8")


def major(minor: int) -> str:
    return f"{Decimal(minor) / 100:,.2f}"


def eur(minor: int) -> str:
    return f"{minor // 100:,}"


def fee_phrase(method: str, language: str) -> str:
    data = policy.rules()["methods"][method]
    if data["fee_flat_minor"] and not Decimal(data["fee_percent"]):
        flat = major(data["fee_flat_minor"])
        return f"{flat} flat" if language == "en" else f"固定 {flat}"
    sep, low, high = (", ", "min ", "max ") if language == "en" else ("，", "最低 ", "最高 ")
    phrase = f"{data['fee_percent']}%{sep}{low}{major(data['fee_min_minor'])}"
    if data["fee_max_minor"] is not None:
        phrase += f"{sep}{high}{major(data['fee_max_minor'])}"
    return phrase


def arrival_phrase(method: str, language: str) -> str:
    spec = policy.rules()["methods"][method]["arrival"]
    if "minutes" in spec:
        return f"within {spec['minutes']} minutes" if language == "en" else f"{spec['minutes']} 分钟内"
    low, high = spec["business_days"]
    return f"{low}–{high} business days" if language == "en" else f"{low}–{high} 个工作日"


@pytest.mark.parametrize("language", LANGUAGES)
def test_fees_and_arrival_times_are_the_policys(language):
    arrivals = {arrival_phrase(m, language) for m in Method.values}
    for key in WITHDRAWAL_ARTICLES:
        body = text(key, language)
        if key in FEE_TABLES:
            for method in Method.values:
                assert fee_phrase(method, language) in body, (key, language, method)
                if key != "fees-overview":  # its table has no arrival column
                    assert arrival_phrase(method, language) in body, (key, language, method)
        # no other arrival times and no vague "within minutes"
        if language == "en":
            stated = set(re.findall(r"within \d+ minutes|\d+–\d+ business days", body))
            assert "within minutes" not in body, key
        else:
            stated = set(re.findall(r"\d+ 分钟内|\d+–\d+ 个工作日", body))
            assert "几分钟内" not in body, key
        assert stated <= arrivals, (key, language, stated - arrivals)
        # every withdrawal fee rate stated is one of the methods' (fees-overview also lists other fees)
        rates = set(re.findall(r"\b(\d+(?:\.\d+)?)%[,，] ?(?:min|最低)", body))
        allowed = {policy.rules()["methods"][m]["fee_percent"] for m in Method.values} | {"0.6"}
        assert rates <= allowed, (key, language, rates - allowed)


def test_fee_examples_are_computed_by_the_policy():
    names = {
        "en": {
            "bank transfer": "bank_transfer",
            "debit card standard": "card_standard",
            "debit card instant": "card_instant",
            "e-wallet": "ewallet",
        },
        "zh-hans": {
            "银行转账": "bank_transfer",
            "借记卡标准": "card_standard",
            "借记卡即时": "card_instant",
            "电子钱包": "ewallet",
        },
    }
    row = re.compile(
        r"^\| (?P<method>[^|¥]+?) ¥(?P<amount>[\d,]+) \|[^|]*\| ¥(?P<fee>[\d,.]+) \| ¥(?P<total>[\d,.]+) \|$"
    )
    for language in LANGUAGES:
        rows = [m for m in map(row.match, text("withdrawal-fees", language).splitlines()) if m]
        assert len(rows) == 7, language
        for match in rows:
            method = names[language][match["method"]]
            amount = int(match["amount"].replace(",", "")) * 100
            fee = policy.fee_minor(method, amount)
            assert major(fee) == match["fee"], (language, match.group(0))
            assert major(amount + fee) == match["total"], (language, match.group(0))


def test_limits_review_and_cooling_off_are_the_policys():
    rules = policy.rules()
    en, zh = text("withdraw-funds", "en"), text("withdraw-funds", "zh-hans")
    assert f"smallest withdrawal is {major(rules['min_amount_minor'])}" in en
    assert f"最低转出金额为 {major(rules['min_amount_minor'])}" in zh
    level0, level1, level2 = (policy.level_limits(n) for n in (0, 1, 2))
    assert level0["day_eur"] is None
    assert (
        f"L0 {eur(level0['per_withdrawal_eur'])} per withdrawal and {eur(level0['month_eur'])} in 30 days"
        in en
    )
    assert f"L0 单笔 {eur(level0['per_withdrawal_eur'])}，30 天内 {eur(level0['month_eur'])}" in zh
    l1 = [eur(level1[k]) for k in ("per_withdrawal_eur", "day_eur", "month_eur")]
    l2 = [eur(level2[k]) for k in ("per_withdrawal_eur", "day_eur", "month_eur")]
    assert f"L1 {l1[0]} per withdrawal, {l1[1]} in 24 hours and {l1[2]} in 30 days" in en
    assert f"L1 单笔 {l1[0]}，24 小时内 {l1[1]}，30 天内 {l1[2]}" in zh
    assert f"L2 {l2[0]}, {l2[1]} and {l2[2]}" in en and f"L2 分别为 {l2[0]}、{l2[1]} 和 {l2[2]}" in zh
    hours = int(settings.OKPAY_PAYOUT_COOLING_OFF.total_seconds() // 3600)
    large, single, first = (
        eur(rules["large_eur"]),
        eur(rules["review_single_eur"]),
        eur(rules["review_first_to_destination_eur"]),
    )
    for key in ("withdraw-funds", "add-bank-account", "link-debit-card"):
        assert f"{hours} hours" in text(key, "en") and f"{large} EUR equivalent or more" in text(key, "en"), (
            key
        )
        assert f"{hours} 小时" in text(key, "zh-hans") and f"等值 {large} 欧元及以上" in text(
            key, "zh-hans"
        ), key
    for key in ("withdraw-funds", "withdrawal-status", "withdrawal-times"):
        body_en, body_zh = text(key, "en"), text(key, "zh-hans")
        assert (
            f"{single} EUR equivalent or more" in body_en and f"{first} EUR equivalent or more" in body_en
        ), key
        assert f"等值 {single} 欧元及以上" in body_zh and f"等值 {first} 欧元及以上" in body_zh, key
    assert f"up to {settings.OKPAY_PAYOUT_MAX_DESTINATIONS} destinations" in text("add-bank-account", "en")
    assert f"最多可以同时保存 {settings.OKPAY_PAYOUT_MAX_DESTINATIONS} 个收款方式" in text(
        "add-bank-account", "zh-hans"
    )


def status_labels() -> dict[str, list[str]]:
    labels = {}
    for language in LANGUAGES:
        with translation.override(language):
            labels[language] = [str(label) for label in WithdrawalStatus.labels]
    return labels


def test_statuses_and_failure_reasons_as_the_pages_show_them():
    labels = status_labels()
    assert labels["zh-hans"] == ["待处理", "审核中", "转出中", "已到账", "失败", "已取消", "已拒绝"]
    for language in LANGUAGES:
        table = text("withdrawal-status", language)
        for label in labels[language]:
            assert f"| {label} |" in table, (language, label)
        with translation.override(language):
            reasons = [str(label) for label in FailureCode.labels]
        failed = text("withdrawal-failed", language)
        for reason in reasons:
            assert f"| {reason} |" in failed, (language, reason)
    # the English pages say "Cancelled"; no article says "canceled"
    for key in WITHDRAWAL_ARTICLES:
        assert "canceled" not in text(key, "en").lower(), key


# (msgid, context) of the page labels the articles quote: each one as the page says it, in both languages
QUOTED_LABELS = {
    "withdraw-funds": [
        ("Withdraw funds", None),
        ("From your balance in", None),
        ("Amount to receive", None),
        ("To", "withdrawal destination"),
        ("Speed", None),
        ("Add a destination", None),
        ("Continue", None),
        ("Total taken from your balance", None),
        ("Change", None),
        ("Confirm and withdraw", None),
        ("Your withdrawals", None),
        ("Cancel this withdrawal", None),
        ("Cancel withdrawal", None),
    ],
    "cancel-withdrawal": [
        ("Your withdrawals", None),
        ("Cancel this withdrawal", None),
        ("Cancel withdrawal", None),
        ("Keep it", None),
        ("Confirm and withdraw", None),
        ("Get help with this withdrawal", None),
    ],
    "withdrawal-failed": [("Add a destination", None), ("Confirm and withdraw", None)],
    "withdrawal-not-arrived": [("Get help with this withdrawal", None), ("Your withdrawals", None)],
    "add-bank-account": [
        ("Payout destinations", None),
        ("Add a destination", None),
        ("Where should withdrawals go?", None),
        ("Confirm that it is you", None),
        ("Add destination", None),
    ],
    "link-debit-card": [
        ("Payout destinations", None),
        ("Add a destination", None),
        ("Add destination", None),
    ],
    "merchant-balance-payouts": [("Confirm and withdraw", None), ("Transaction history", None)],
}


def test_articles_quote_the_pages_labels():
    for key, labels in QUOTED_LABELS.items():
        for language in LANGUAGES:
            body = text(key, language)
            with translation.override(language):
                for msgid, context in labels:
                    label = pgettext(context, msgid) if context else gettext(msgid)
                    assert label in body, (key, language, label)
    failure_heading = {}
    for language in LANGUAGES:
        with translation.override(language):
            failure_heading[language] = gettext("This withdrawal failed.")
    assert f'"{failure_heading["en"]}"' in text("withdrawal-failed", "en")
    assert f"“{failure_heading['zh-hans']}”" in text("withdrawal-failed", "zh-hans")


LINK = re.compile(r"\]\((/[^)\s]*)\)|[（(](/[a-z][^)）\s]*)[)）]")


def test_every_link_in_an_article_opens_a_page():
    for folder in sorted((CONTENT_DIR / "articles").iterdir()):
        for language in LANGUAGES:
            path = folder / f"{language}.md"
            if not path.exists():
                continue
            for match in LINK.finditer(path.read_text(encoding="utf-8")):
                target = match.group(1) or match.group(2)
                try:
                    resolve(target.split("?")[0])
                except Resolver404:
                    pytest.fail(f"{folder.name}/{language}.md links {target}, which is no page")


def test_withdrawal_articles_link_the_withdrawal_pages():
    for key in WITHDRAWAL_ARTICLES:
        for language in LANGUAGES:
            targets = {m.group(1) for m in LINK.finditer(text(key, language)) if m.group(1)}
            assert targets & {
                "/account/withdraw/",
                "/account/withdraw/history/",
                "/account/withdraw/destinations/",
            }, (key, language)
            names = {resolve(t).view_name for t in targets if t.startswith("/account/withdraw/")}
            assert names <= {
                "payouts:withdraw",
                "payouts:withdrawals",
                "payouts:destinations",
                "payouts:destination_new",
            }, (key, language, names)
