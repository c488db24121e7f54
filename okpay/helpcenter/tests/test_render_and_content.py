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
    assert "忘记密码?" in reset.body and "20 分钟" in reset.body
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
    assert "20 minutes" in policies and "14 days" in policies
    withdraw = (CONTENT_DIR / "articles" / "withdrawal-times" / "en.md").read_text()
    assert "1–3 business days" in withdraw or "1-3 business days" in withdraw
