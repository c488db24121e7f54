import io

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile

from okpay.core.models import AuditEvent
from okpay.helpcenter.models import Article, ArticleRevision, Category, VideoAsset, VideoCaption
from okpay.helpcenter.search import index_forget
from okpay.helpcenter.tests.factories import article_create, category_create

pytestmark = pytest.mark.smoke

MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64
WEBM_HEAD = b"\x1a\x45\xdf\xa3" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _fresh_index():
    index_forget()
    yield
    index_forget()


@pytest.fixture
def editor(make_user, signed_in):
    return signed_in(make_user(email="editor@example.com", role="supervisor", language="en"))


def article_form(**overrides):
    data = {
        "key": "freeze-card",
        "category": str(category_create().pk),
        "kind": "faq",
        "tags": "card, 冻结",
        "popular_rank": "",
        "related": "",
        "title_zh-hans": "如何冻结卡片？",
        "slug_zh-hans": "",
        "summary_zh-hans": "立即冻结",
        "body_zh-hans": "**马上**联系客服。<script>x</script>",
        "title_en": "How do I freeze my card?",
        "slug_en": "",
        "summary_en": "Freeze it now",
        "body_en": "Call us **now**.",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("role", "status"),
    [("customer", 403), ("merchant", 403), ("agent", 403), ("supervisor", 200), ("admin", 200)],
)
def test_editing_needs_the_right_role_or_permission(client, make_user, signed_in, role, status):
    signed_in(make_user(email=f"{role}@example.org", role=role))
    assert client.get("/console/help/").status_code == status
    assert client.get("/console/help/new/").status_code == status


def test_agents_in_the_editors_group_may_edit(client, make_user, signed_in):
    agent = make_user(email="writer@example.org", role="agent")
    group = Group.objects.create(name="Help center editors")
    group.permissions.add(
        Permission.objects.get(codename="change_article", content_type__app_label="helpcenter")
    )
    agent.groups.add(group)
    signed_in(agent)
    assert client.get("/console/help/").status_code == 200


def test_anonymous_is_sent_to_sign_in(client, db):
    assert client.get("/console/help/")["Location"].startswith("/accounts/login/")


def test_create_publish_unpublish_records_every_change(client, editor, supervisor):
    response = client.post("/console/help/new/", article_form())
    assert response.status_code == 302
    article = Article.objects.get(key="freeze-card")
    assert article.status == "draft"
    zh = article.translations.get(language="zh-hans")
    assert "<strong>马上</strong>" in zh.body_html and "<script>" not in zh.body_html
    assert client.get("/help/zh-hans/articles/freeze-card/").status_code == 200  # editors preview drafts

    client.post(f"/console/help/{article.pk}/status/", {"status": "published"})
    article.refresh_from_db()
    assert article.status == "published" and article.published_at
    client.post(f"/console/help/{article.pk}/status/", {"status": "draft"})
    assert list(ArticleRevision.objects.filter(article=article).values_list("action", flat=True)) == [
        "unpublished",
        "published",
        "created",
    ]
    assert all(r.actor.email == "editor@example.com" for r in ArticleRevision.objects.filter(article=article))
    assert AuditEvent.objects.filter(action="helpcenter.article_published").count() == 1


def test_edit_form_errors_change_nothing(client, editor):
    article = article_create("existing", zh=("已有", "", "内容"))
    response = client.post("/console/help/new/", article_form(key="existing"))
    assert response.status_code == 400
    response = client.post(
        f"/console/help/{article.pk}/",
        article_form(**{"key": "existing", "title_zh-hans": "", "title_en": ""}),
    )
    assert response.status_code == 400
    assert article.translations.get().title == "已有"
    bad_related = client.post("/console/help/new/", article_form(related="no-such-article"))
    assert bad_related.status_code == 400
    assert not Article.objects.filter(key="freeze-card").exists()


def test_invalid_status_is_refused(client, editor):
    article = article_create("x-draft", zh=("草稿", "", "内容"), status="draft")
    client.post(f"/console/help/{article.pk}/status/", {"status": "deleted"})
    article.refresh_from_db()
    assert article.status == "draft"


def test_preview_renders_and_sanitises(client, editor):
    response = client.post("/console/help/preview/", {"body_en": "# Hi\n\n<script>alert(1)</script> **b**"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h2>Hi</h2>" in html and "<strong>b</strong>" in html and "<script>" not in html


def test_category_reorder_and_bad_input(client, editor):
    first, second = category_create("a", order=1), category_create("b", order=2)
    bad = client.post("/console/help/categories/", {f"order_{first.pk}": "x", f"order_{second.pk}": "1"})
    assert bad.status_code == 400
    first.refresh_from_db()
    assert first.order == 1
    client.post("/console/help/categories/", {f"order_{first.pk}": "5", f"order_{second.pk}": "1"})
    assert list(Category.objects.order_by("order").values_list("slug", flat=True)) == ["b", "a"]


def upload(client, article, part, name, content, language="en"):
    return client.post(
        f"/console/help/{article.pk}/upload/",
        {"language": language, "part": part, "file": SimpleUploadedFile(name, content)},
        follow=True,
    )


def test_video_and_caption_uploads(client, editor):
    article = article_create("video-x", en=("Video", "", "Watch"), kind="video")
    page = upload(client, article, "mp4", "clip.mp4", MP4_HEAD)
    assert "File uploaded." in page.content.decode()
    asset = VideoAsset.objects.get(article=article, language="en")
    assert asset.mp4.name.endswith(".mp4") and "clip" not in asset.mp4.name  # random stored name
    upload(client, article, "webm", "clip.webm", WEBM_HEAD)
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (32, 18), "blue").save(buffer, format="PNG")
    upload(client, article, "poster", "poster.png", buffer.getvalue())
    asset.refresh_from_db()
    assert asset.webm and asset.poster.read(3) == b"\xff\xd8\xff"  # re-encoded as JPEG
    upload(client, article, "captions", "en.vtt", b"WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nOpen Security\n")
    assert VideoCaption.objects.filter(article=article, language="en").exists()
    assert article.translations.get(language="en").transcript == "Open Security"


@pytest.mark.parametrize(
    ("part", "name", "content", "message"),
    [
        ("mp4", "clip.exe", MP4_HEAD, "This type of file is not accepted"),
        ("mp4", "clip.mp4", b"MZ\x90\x00 not a video" * 4, "does not match its name"),
        ("webm", "clip.webm", MP4_HEAD, "does not match its name"),
        ("poster", "poster.png", b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, "could not be read"),
        ("captions", "subs.vtt", b"1\n00:00 --> 00:01\nno header", "does not match its name"),
        ("mp4", "empty.mp4", b"", "The submitted file is empty."),
    ],
)
def test_wrong_uploads_are_refused_with_a_clear_message(client, editor, part, name, content, message):
    article = article_create("video-y", en=("Video", "", "Watch"), kind="video")
    page = upload(client, article, part, name, content).content.decode()
    assert message in page
    assert (
        not VideoAsset.objects.filter(article=article).exclude(mp4="", webm="", poster="").exists()
        or part == "poster"
    )
    assert not VideoCaption.objects.filter(article=article).exists()


def test_oversized_upload_is_refused(client, editor, monkeypatch):
    from okpay.helpcenter import actions

    monkeypatch.setattr(actions, "MAX_VIDEO_BYTES", 100)
    article = article_create("video-z", en=("Video", "", "Watch"), kind="video")
    page = upload(client, article, "mp4", "big.mp4", MP4_HEAD + b"\x00" * 200).content.decode()
    assert "The file is too large" in page
    assert not VideoAsset.objects.filter(article=article).exists()


def test_report_shows_views_helpfulness_and_failed_searches(client, editor):
    article = article_create("popular-one", en=("Popular", "", "Text"))
    Article.objects.filter(pk=article.pk).update(view_count=42, helpful_no=3)
    client.get("/help/search/", {"q": "完全无关的问题xyz"})
    page = client.get("/console/help/report/").content.decode()
    assert "popular-one" in page and "42" in page and "完全无关的问题xyz" in page
