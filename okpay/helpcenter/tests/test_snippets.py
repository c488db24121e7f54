"""Search snippets are whole sentences of the shipped articles (issue 16, item 16): no Markdown or
table syntax, a table row reads "first cell: the other cells", a snippet never starts inside a word
or an address, and highlighting adds no space in Chinese."""

import html
import re

import pytest
from django.utils import translation

from okpay.helpcenter.choices import LANGUAGES
from okpay.helpcenter.render import markdown_render, sentences, split_sentences
from okpay.helpcenter.search import index_forget, snippet
from okpay.helpcenter.shipped import CONTENT_DIR, _read_markdown, content_load

pytestmark = pytest.mark.smoke

QUERIES = {
    "zh-hans": [
        "提现多久到账",
        "手续费",
        "重置密码",
        "国际转账 审核",
        "验证等级 限额",
        "交易纠纷 证据",
        "账户",
    ],
    "en": [
        "who can send international transfers",
        "verification level limits",
        "withdraw fees",
        "reset password link",
        "dispute evidence",
        "account",
    ],
}
MARKUP = re.compile(r"\*\*|\]\(|\|\s*-{3}|^#|\s\|\s|^\||\|$|`")
CJK = r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef“”]"


@pytest.fixture(scope="module")
def articles():
    """Every shipped article as the site renders it: {(language, key): (sentences, summary)}."""
    rows = {}
    for folder in sorted((CONTENT_DIR / "articles").iterdir()):
        for language in LANGUAGES:
            path = folder / f"{language}.md"
            if path.exists():
                text = _read_markdown(path)
                rows[(language, folder.name)] = (
                    sentences(markdown_render(text["body"]), language=language),
                    text["summary"],
                )
    return rows


def plain(snippet_html: str) -> str:
    return html.unescape(re.sub(r"</?mark>", "", snippet_html))


def test_every_article_reads_as_sentences_without_markup(articles):
    for (language, key), (parts, _summary) in articles.items():
        assert parts, (language, key)
        for sentence in parts:
            assert not MARKUP.search(sentence), (language, key, sentence)
            assert sentence == sentence.strip() and "  " not in sentence, (language, key, sentence)
            # a soft line break in Chinese Markdown is not a space between two characters
            assert not re.search(rf"{CJK}\s+{CJK}", sentence.replace("“ ", "“")), (language, key, sentence)


def test_a_table_row_reads_first_cell_then_the_others(articles):
    english, _ = articles[("en", "verification-levels")]
    assert "L0: email + phone, 50, no separate limit, 150, not available" in english
    assert not any("level what we check" in s for s in english)  # the header row is left out
    chinese, _ = articles[("zh-hans", "withdraw-funds")]
    assert "电子钱包：0.5%，最低 0.50，10 分钟内" in chinese


def test_sentences_end_at_chinese_and_english_full_stops():
    assert split_sentences("点击继续。核对手续费！可以取消吗？不可以；请联系客服") == [
        "点击继续。",
        "核对手续费！",
        "可以取消吗？",
        "不可以；",
        "请联系客服",
    ]
    assert split_sentences('Costs e.g. 0.1% (min 1.00). See "Fees". Done!') == [
        "Costs e.g. 0.1% (min 1.00).",
        'See "Fees".',
        "Done!",
    ]
    assert split_sentences("先核对\n收款人。") == ["先核对收款人。"]
    # a question mark inside a title or a quote does not end the sentence around it
    assert split_sentences("详见《怎么给境外汇款？国际转账要注意什么？》。点“忘记密码？”。") == [
        "详见《怎么给境外汇款？国际转账要注意什么？》。",
        "点“忘记密码？”。",
    ]


def test_a_snippet_prefers_a_sentence_to_a_heading_or_an_empty_table_cell():
    parts = ["重新提现", "失败后可以核对收款方式再重新提现。"]
    assert snippet(parts, "提现") == "失败后可以核对收款方式再重新<mark>提现</mark>。"
    # only a heading matches: the summary, when it matches too
    result = snippet(["要等多久", "审核期间资金冻结。"], "多久", lead="审核最长 72 小时，要等多久看这里。")
    assert plain(result) == "审核最长 72 小时，要等多久看这里。"
    rows = sentences(
        "<table><tbody><tr><td>已到账</td><td>转出完成</td><td>—</td></tr></tbody></table>",
        language="zh-hans",
    )
    assert rows == ["已到账：转出完成"]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_snippets_of_real_articles_are_whole_sentences(articles, language):
    checked = 0
    for query in QUERIES[language]:
        for (lang, key), (parts, summary) in articles.items():
            if lang != language:
                continue
            result = snippet(parts, query, lead=summary)
            text = plain(result)
            assert text, (key, query)
            assert not MARKUP.search(text), (key, query, text)
            if not text.startswith("…"):
                # starts where a sentence (or the summary) starts
                assert any(text.startswith(s[:12]) for s in [*parts, *split_sentences(summary)]), (
                    key,
                    query,
                    text,
                )
            else:
                body = text[1:]
                whole = next(s for s in [*parts, *split_sentences(summary)] if body[:12] in s)
                at = whole.index(body[:12])
                before = whole[at - 1]
                assert not re.match(r"[A-Za-z0-9/._-]", before), (key, query, text)  # not mid-word or URL
            if "<mark>" in result:
                checked += 1
                if language == "zh-hans":
                    assert not re.search(rf"{CJK} <mark>|</mark> {CJK}", result), (key, query, result)
                assert "</mark><mark>" not in result
    assert checked > 20


def test_a_long_sentence_is_cut_at_a_word_never_inside_an_address():
    sentence = (
        "If the money has not arrived after the estimated time shown on the status page, open "
        "https://okpay.example/account/withdraw/history/ and compare the destination and the last four "
        "digits of the card with the ones your bank shows for this withdrawal before you contact us."
    )
    for query in ("bank", "contact", "history", "estimated"):
        text = plain(snippet([sentence], query, limit=90))
        body = text.strip("…")
        assert body in sentence
        start = sentence.index(body)
        end = start + len(body)
        assert start == 0 or not re.match(r"[\w/.:]", sentence[start - 1]), (query, text)
        assert end == len(sentence) or not re.match(r"[\w/.:]", sentence[end]), (query, text)


def test_chinese_highlight_adds_no_space_and_marks_a_phrase_once():
    result = snippet(["登录后打开我的账户，点击资金转出，核对手续费和预计到账时间。"], "资金转出 手续费")
    assert "<mark>资金转出</mark>" in result and "<mark>手续费</mark>" in result
    assert "，点击<mark>资金转出</mark>，核对<mark>手续费</mark>和" in result


def test_search_page_shows_sentence_snippets(db, client):
    index_forget()
    content_load()
    with translation.override("en"):
        response = client.get("/help/search/", {"q": "who can send international transfers", "lang": "en"})
    page = response.content.decode()
    assert response.status_code == 200
    found = re.findall(r'<p class="snippet">(.*?)</p>', page, re.S)
    assert found
    for item in found:
        assert "|" not in item and "**" not in item
        assert "level what we check" not in plain(item)
    index_forget()
