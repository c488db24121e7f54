"""The shipped articles' copy (issue 16, items 17 and 18): Chinese punctuation and 您 in Chinese text;
every cross-reference is a link to the article it names (with that article's title) or to the contact
page; and every product path an article names ("我的账户 → 资金转出", "My Account → Withdraw funds")
is, step by step, a link with exactly that text on the page before it, leading to a page that opens
for a signed-in customer (or merchant)."""

import re
from functools import cache
from html import unescape

import pytest
from django.urls import Resolver404, resolve, reverse
from django.utils import translation
from django.utils.translation import gettext

from okpay.helpcenter.choices import LANGUAGES
from okpay.helpcenter.shipped import CONTENT_DIR, _read_markdown, content_load

pytestmark = pytest.mark.smoke

ZH = "zh-hans"
CJK = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef“”‘’《》]"
ASCII_MARK = r"[\"'.,:;()?!]"
LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]+)\)")
REFERENCE_ZH = re.compile(r"(请参阅|参阅|参见|详见|请查看)")
CONTACT_PHRASE = {ZH: re.compile(r"联系客服"), "en": re.compile(r"\b[Cc]ontact (?:support|us)\b")}

# Every place an article may send a reader, as the pages label it: {the page a step starts from (None:
# the site's own menu) → {link text (msgid) → URL name}}. A path "A → B → C" is A in the menu, B a link
# on A's page, C a link on B's page.
PRODUCT_PATHS: dict[str | None, dict[str, str]] = {
    None: {"My Account": "wallet:home", "Merchant area": "merchant:home"},
    "My Account": {
        "Pay a merchant": "wallet:pay",
        "Send money abroad": "international:new",
        "Transaction history": "wallet:transactions",
        "Disputes": "disputes:list",
        "Withdraw funds": "payouts:withdraw",
        "Payout destinations": "payouts:destinations",
        "Security": "accounts:security",
        "My questions": "tickets:list",
    },
    "Merchant area": {
        "Payment links": "merchant:links",
        "Disputes": "merchant_disputes:list",
        "Transaction history": "wallet:transactions",
    },
}
# arrows that are not navigation: a status sequence or a verification level moving up
NOT_A_PATH = {"en": ("L0", "L1", "Pending", "In transit"), ZH: ("L0", "L1", "待处理", "转出中")}


@cache
def articles() -> dict[tuple[str, str], dict]:
    rows = {}
    for folder in sorted((CONTENT_DIR / "articles").iterdir()):
        for language in LANGUAGES:
            path = folder / f"{language}.md"
            if path.exists():
                rows[(language, folder.name)] = _read_markdown(path)
    return rows


def whole(article: dict) -> str:
    return "\n".join((article["title"], article["summary"], article["body"]))


def prose(text: str) -> str:
    """The words a reader sees: link texts without their targets, no code, no addresses."""
    text = LINK.sub(lambda m: m.group(1), text)
    text = re.sub(r"`[^`]*`|https?://\S+|/[a-z0-9][a-z0-9/_.?=-]*/", " ", text)
    return text


def normal(title: str) -> str:
    return re.sub(r"[\s?？。.,，:：!！\"“”'’‘《》]", "", title).lower()


@pytest.mark.parametrize("key", sorted(k for lang, k in articles() if lang == ZH))
def test_chinese_copy_uses_chinese_punctuation_and_nin(key):
    text = prose(whole(articles()[(ZH, key)]))
    for line in text.split("\n"):
        line = line.removeprefix("> ").replace("|", " ")  # Markdown's own marks
        assert "你" not in line, (key, line)
        bad = re.findall(rf"{CJK}{ASCII_MARK}|{ASCII_MARK}{CJK}", line)
        assert not bad, (key, bad, line)
        assert '"' not in line, (key, line)


@pytest.mark.parametrize(("language", "key"), sorted(articles()))
def test_cross_references_are_links_with_the_articles_titles(language, key):
    text = whole(articles()[(language, key)])
    titles = {normal(a["title"]): k for (lang, k), a in articles().items() if lang == language}
    # a quoted article title is a reference that should have been a link
    for quoted in re.findall(r"[\"“]([^\"“”\n]{4,})[\"”]", prose(text)):
        assert normal(quoted) not in titles, (key, quoted)
    if language == ZH:
        for match in REFERENCE_ZH.finditer(text):
            assert text[match.end() : match.end() + 2].lstrip()[:1] == "[", (key, text[match.start() :][:40])
    else:
        assert not re.search(r"\b[Ss]ee\s+[\"“]", text), key
    for label, url in LINK.findall(text):
        target = re.fullmatch(r"/help/([a-z-]+)/articles/([a-z0-9-]+)/", url)
        if target is None:
            continue
        assert target.group(1) == language, (key, url)
        other = articles().get((language, target.group(2)))
        assert other is not None, (key, url)
        title = other["title"]
        assert label == (f"《{title}》" if language == ZH else title), (key, label, title)


@pytest.mark.parametrize(("language", "key"), sorted(articles()))
def test_contact_support_is_a_link_to_the_contact_page(language, key):
    text = articles()[(language, key)]["body"]  # the summary is plain text
    if CONTACT_PHRASE[language].search(prose(text).replace("联系客服解除", "")):
        assert any(url.startswith("/help/contact/") for _label, url in LINK.findall(text)), key


@pytest.mark.parametrize(("language", "key"), sorted(articles()))
def test_every_link_opens_a_page_of_the_site(language, key):
    for _label, url in LINK.findall(whole(articles()[(language, key)])):
        if url.startswith(("http://", "https://", "mailto:")):
            continue
        try:
            resolve(url.split("?")[0])
        except Resolver404:
            pytest.fail(f"{key} ({language}): {url} is no page")


def labels(language: str) -> dict[str | None, dict[str, tuple[str, str]]]:
    """PRODUCT_PATHS in `language`: {parent label → {shown label → (msgid, URL name)}}."""
    with translation.override(language):
        return {
            (gettext(parent) if parent else None): {
                gettext(label): (label, name) for label, name in steps.items()
            }
            for parent, steps in PRODUCT_PATHS.items()
        }


def product_paths(language: str, text: str) -> list[list[str]]:
    """Every "A → B" / "A > B" in the text as its list of labels (the shown words)."""
    table = labels(language)
    found = []
    for line in text.split("\n"):
        line = re.sub(r"^> ", "", line)
        line = LINK.sub(lambda m: m.group(1), line).replace("**", "")
        line = re.sub(r"[“”\"]", "", line)
        line = re.sub(r"\s*[（(]/[^)）]*[)）]", "", line)
        pieces = re.split(r"\s*(?:→|(?<=\S) > (?=\S))\s*", line)
        path: list[str] | None = None
        left = pieces[0]
        for piece in pieces[1:]:
            if path is None or left.strip():  # the arrow starts a path: the words before it are its root
                roots = sorted(table[None], key=len, reverse=True)
                root = next((label for label in roots if left.rstrip().endswith(label)), None)
                if root is None:
                    assert left.rstrip().endswith(NOT_A_PATH[language]), (
                        f"unknown product path root: {line!r}"
                    )
                    path, left = None, piece
                    continue
                path = [root]
                found.append(path)
            steps = table.get(path[-1], {})
            step = next(
                (label for label in sorted(steps, key=len, reverse=True) if piece.startswith(label)), None
            )
            assert step is not None, f"{' → '.join(path)} has no link starting {piece[:20]!r} ({line!r})"
            path.append(step)
            left = piece[len(step) :]
    return found


def anchors(html: str) -> list[tuple[str, str]]:
    """(href, visible text) of every link on a page."""
    return [
        (unescape(href), " ".join(unescape(re.sub(r"<[^>]+>", "", inner)).split()))
        for href, inner in re.findall(r'<a\b[^>]*\bhref="([^"]*)"[^>]*>(.*?)</a>', html, re.S)
    ]


def test_the_articles_name_product_paths():
    """The check below has something to check: the withdrawal, dispute and merchant paths."""
    paths = {
        (lang, " → ".join(p)) for (lang, _k), a in articles().items() for p in product_paths(lang, whole(a))
    }
    assert (ZH, "我的账户 → 资金转出") in paths and ("en", "My Account → Withdraw funds") in paths
    assert (ZH, "商户中心 → 交易纠纷") in paths and ("en", "Merchant area → Payment links") in paths


def test_product_path_check_refuses_a_path_the_product_does_not_have():
    with pytest.raises(AssertionError, match="has no link"):
        product_paths(ZH, "打开 **“我的账户”→“转账”**，输入对方的手机号。")
    with pytest.raises(AssertionError, match="unknown product path root"):
        product_paths("en", "Open **Settings → Transfers**.")
    assert product_paths(ZH, "打开 **[我的帐户 → 资金转出](/account/withdraw/)**".replace("帐", "账")) == [
        ["我的账户", "资金转出"]
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_product_path_is_a_real_link_to_a_real_page(make_user, client, language):
    from okpay.accounts.tests.factories import PASSWORD

    users = {
        "My Account": make_user(email=f"path-{language}@example.com", language=language),
        "Merchant area": make_user(email=f"shop-{language}@example.com", language=language, role="merchant"),
    }
    table = labels(language)
    pages: dict[tuple[str, str], str] = {}

    def page(user, url: str) -> str:
        if (user.email, url) not in pages:
            client.post("/accounts/login/", {"email": user.email, "password": PASSWORD})
            response = client.get(url)
            assert response.status_code == 200, (user.email, url, response.status_code)
            pages[(user.email, url)] = response.content.decode()
        return pages[(user.email, url)]

    checked = 0
    for (lang, key), article in sorted(articles().items()):
        if lang != language:
            continue
        for path in product_paths(language, whole(article)):
            user = users[table[None][path[0]][0]]
            parent_url = reverse("home")
            parent = None
            for label in path:
                _msgid, name = table[parent][label]
                url = reverse(name)
                links = anchors(page(user, parent_url))
                assert (url, label) in links, (
                    f"{key}: no link {label!r} to {url} on {parent_url}",
                    [text for href, text in links if href == url],
                )
                page(user, url)  # opens for this user
                parent_url, parent = url, label
                checked += 1
    assert checked >= 10


def test_an_article_page_renders_its_cross_references_as_links(db, client):
    content_load()
    response = client.get("/help/zh-hans/articles/verification-levels/")
    html = response.content.decode()
    assert response.status_code == 200
    assert (
        '<a href="/help/zh-hans/articles/upgrade-verification/" rel="noopener noreferrer">'
        "《如何升级身份验证等级，提高额度？》</a>"
    ) in html
    english = client.get("/help/en/articles/sent-to-wrong-person/").content.decode()
    assert 'href="/help/contact/?article=sent-to-wrong-person"' in english
