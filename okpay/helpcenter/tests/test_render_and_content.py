import json
from pathlib import Path

import pytest

from okpay.helpcenter.actions import vtt_text
from okpay.helpcenter.models import Article, ArticleTranslation, Category, ContactChannel, VideoAsset
from okpay.helpcenter.render import markdown_render
from okpay.helpcenter.shipped import CONTENT_DIR, content_load

pytestmark = pytest.mark.smoke


def test_markdown_is_rendered_and_sanitised():
    html = markdown_render(
        "# Title\n\n**bold** [ok](https://okpay.example) [x](javascript:alert(1))\n\n"
        "<script>alert(1)</script>\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    )
    assert "<h2>Title</h2>" in html and "<h1>" not in html
    assert "<strong>bold</strong>" in html
    assert 'href="https://okpay.example"' in html and 'rel="noopener noreferrer"' in html
    assert 'href="javascript' not in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<table>" in html and "<td>1</td>" in html


def test_raw_html_is_escaped_not_rendered():
    html = markdown_render('<img src=x onerror="alert(1)"> <a href="#" onclick="x()">a</a>')
    assert "<img" not in html and "<a href" not in html
    assert "&lt;img" in html


def test_vtt_text_extracts_spoken_words():
    raw = (
        "WEBVTT\n\n1\n00:00:00.000 --> 00:00:03.000\n打开登录页\n\n"
        "00:00:03.000 --> 00:00:06.000\n<b>点击</b>忘记密码\n"
    )
    assert vtt_text(raw) == "打开登录页 点击忘记密码"


def test_shipped_content_is_complete_in_both_languages(db):
    counts = content_load()
    assert counts["categories"] >= 8
    assert counts["articles"] >= 60
    assert (
        ContactChannel.objects.filter(kind="phone").exists()
        and ContactChannel.objects.filter(kind="email").exists()
    )
    for article in Article.objects.all():
        languages = set(article.translations.values_list("language", flat=True))
        assert languages == {"zh-hans", "en"}, article.key
    for key in (
        "reset-password",
        "withdraw-funds",
        "open-dispute",
        "international-transfers",
        "contact-support",
    ):
        assert Article.objects.filter(key=key, status="published").exists(), key
    reset = ArticleTranslation.objects.get(article__key="reset-password", language="zh-hans")
    assert "忘记密码？" in reset.body and "20 分钟" in reset.body
    again = content_load()
    assert again["articles"] == 0 and again["categories"] == 0
    assert Category.objects.count() == counts["categories"]


def test_shipped_videos_have_both_languages_and_captions(db):
    folders = (
        [p for p in (CONTENT_DIR / "videos").iterdir() if p.is_dir()]
        if (CONTENT_DIR / "videos").exists()
        else []
    )
    assert len(folders) >= 3
    content_load()
    for folder in folders:
        article = Article.objects.get(key=folder.name)
        assert article.kind == "video"
        assert VideoAsset.objects.filter(article=article).count() == 2
        assert article.captions.count() == 2
        assert all(t.transcript for t in article.translations.all())
        meta = json.loads((CONTENT_DIR / "articles" / folder.name / "meta.json").read_text())
        assert meta["duration_s"] > 5


def test_policies_in_articles_match_policies_doc():
    policies = (Path(__file__).resolve().parents[3] / "docs" / "policies.md").read_text()
    assert "20 minutes" in policies and "14 business days" in policies
    withdraw = (CONTENT_DIR / "articles" / "withdrawal-times" / "en.md").read_text()
    assert "1–3 business days" in withdraw or "1-3 business days" in withdraw


# The dispute articles and docs/policies.md state the dispute policy's numbers
# (okpay/disputes/data/disputes.json) in business days, and none states an old calendar-day window.
DISPUTE_ARTICLES = (
    "open-dispute",
    "contact-merchant",
    "charged-twice",
    "partial-refund",
    "unrecognised-payment",
    "request-refund",
    "dispute-timeline",
    "dispute-evidence",
    "dispute-outcomes",
    "appeal-dispute",
    "respond-to-dispute",
    "refund-not-received",
    "refund-a-customer",
)


def _dispute_rules() -> dict:
    from okpay.disputes.policy import rules

    return rules()


def test_dispute_articles_state_the_dispute_policy():
    import re

    rules = _dispute_rules()
    business = {
        rules["merchant_answer_business_days"],
        rules["merchant_response_business_days"],
        rules["review_business_days"],
        rules["appeal_window_business_days"],
    }
    evidence = rules["evidence"]
    files, per_file = evidence["max_files_per_submission"], evidence["max_bytes_per_file"] // 2**20
    per_dispute = evidence["max_bytes_per_dispute"] // 2**20
    stated: dict[str, set[int]] = {"zh-hans": set(), "en": set()}
    for key in DISPUTE_ARTICLES:
        for language in ("zh-hans", "en"):
            text = (CONTENT_DIR / "articles" / key / f"{language}.md").read_text(encoding="utf-8")
            if language == "en":
                days = {int(n) for n in re.findall(r"(\d+) business days?", text)}
                calendar_days = {int(n) for n in re.findall(r"(\d+) (?:calendar )?days?\b", text)}
                sizes = {int(n) for n in re.findall(r"(\d+) MB", text)}
                assert not re.search(r'"Contact merchant"', text), key
            else:
                days = {int(n) for n in re.findall(r"(\d+) ?个工作日", text)}
                calendar_days = {int(n) for n in re.findall(r"(\d+) ?天", text)}
                sizes = {int(n) for n in re.findall(r"(\d+) ?MB", text)}
                assert '联系商家"' not in text and "联系商家**" not in text, key
            assert days <= business | {rules["merchant_reminder_business_days_before"]}, (key, language, days)
            # the only window in calendar days is the 180 days to open a dispute
            assert calendar_days <= {rules["filing_window_days"]}, (key, language, calendar_days)
            assert sizes <= {per_file, per_dispute}, (key, language, sizes)
            stated[language] |= days
    for language in ("zh-hans", "en"):
        assert business <= stated[language], language
    open_en = (CONTENT_DIR / "articles" / "open-dispute" / "en.md").read_text(encoding="utf-8")
    open_zh = (CONTENT_DIR / "articles" / "open-dispute" / "zh-hans.md").read_text(encoding="utf-8")
    assert f"{rules['filing_window_days']} days of the payment" in open_en
    assert f"付款后 {rules['filing_window_days']} 天内" in open_zh
    assert f"Up to {files} files per submission, each up to {per_file} MB, and {per_dispute} MB" in open_en
    assert (
        f"每次最多 {files} 个文件，每个不超过 {per_file} MB，一个纠纷合计不超过 {per_dispute} MB" in open_zh
    )
    kinds = ", ".join("jpg" if k == "jpeg" else k for k in evidence["kinds"])
    assert kinds in open_en and kinds.replace(", ", "、") in open_zh
    assert "Report an unauthorised payment" in open_en and "/account/disputes/" in open_en
    assert "报告未经授权的付款" in open_zh and "/account/disputes/" in open_zh
    contact_en = (CONTENT_DIR / "articles" / "contact-merchant" / "en.md").read_text(encoding="utf-8")
    assert "/merchant/disputes/" in contact_en


def test_policies_doc_states_the_dispute_policy():
    rules = _dispute_rules()
    policies = (Path(__file__).resolve().parents[3] / "docs" / "policies.md").read_text()
    section = policies[policies.index("## Disputes") : policies.index("## Currencies")]
    for days in (
        rules["merchant_answer_business_days"],
        rules["merchant_response_business_days"],
        rules["review_business_days"],
        rules["appeal_window_business_days"],
    ):
        assert f"**{days} business days**" in section or f"**{days} business\n   days**" in section, days
    assert f"**{rules['filing_window_days']} days**" in section
    evidence = rules["evidence"]
    assert f"≤ {evidence['max_files_per_submission']} files per submission" in section
    assert f"≤ {evidence['max_bytes_per_file'] // 2**20} MB each" in section
    assert f"≤ {evidence['max_bytes_per_dispute'] // 2**20} MB per dispute" in section
