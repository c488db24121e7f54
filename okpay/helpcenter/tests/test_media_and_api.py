import pytest
from django.core.files.base import ContentFile

from okpay.helpcenter.models import VideoAsset
from okpay.helpcenter.search import index_forget
from okpay.helpcenter.tests.factories import article_create, corpus_create

pytestmark = pytest.mark.smoke

PAYLOAD = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40  # 10,252 bytes


@pytest.fixture
def video(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    article = article_create("video-demo", en=("Demo video", "", "Watch it"), kind="video")
    asset = VideoAsset.objects.create(article=article, language="en")
    asset.mp4.save("v.mp4", ContentFile(PAYLOAD))
    return asset


def url(asset):
    return f"/help/media/video/{asset.pk}/mp4/"


def test_whole_file_without_range(client, video):
    response = client.get(url(video))
    assert response.status_code == 200
    assert response["Accept-Ranges"] == "bytes" and response["Content-Type"] == "video/mp4"
    assert b"".join(response.streaming_content) == PAYLOAD


def test_byte_range_is_206_with_exact_bytes(client, video):
    response = client.get(url(video), HTTP_RANGE="bytes=100-199")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 100-199/{len(PAYLOAD)}"
    assert b"".join(response.streaming_content) == PAYLOAD[100:200]


def test_open_ended_and_suffix_ranges(client, video):
    tail = client.get(url(video), HTTP_RANGE="bytes=10000-")
    assert tail.status_code == 206 and b"".join(tail.streaming_content) == PAYLOAD[10000:]
    suffix = client.get(url(video), HTTP_RANGE="bytes=-52")
    assert b"".join(suffix.streaming_content) == PAYLOAD[-52:]


def test_unsatisfiable_range_is_416(client, video):
    response = client.get(url(video), HTTP_RANGE=f"bytes={len(PAYLOAD) + 5}-")
    assert response.status_code == 416 and response["Content-Range"] == f"bytes */{len(PAYLOAD)}"


def test_garbage_range_gets_the_whole_file(client, video):
    assert client.get(url(video), HTTP_RANGE="lines=1-2").status_code == 200


def test_unpublished_videos_are_not_served(client, video):
    video.article.status = "draft"
    video.article.save()
    assert client.get(url(video)).status_code == 404
    assert client.get(f"/help/media/video/{video.pk}/exe/").status_code == 404


@pytest.fixture
def corpus(db):
    index_forget()
    yield corpus_create()
    index_forget()


def test_api_search_shape_best_first(client, corpus):
    body = client.get("/api/v1/help/search", {"q": "怎么重置密码"}).json()
    assert list(body) == ["results"]
    first = body["results"][0]
    assert set(first) == {"title", "summary", "url", "kind", "score"}
    assert first["url"] == "/help/zh-hans/articles/reset-password/"
    scores = [r["score"] for r in body["results"]]
    assert scores == sorted(scores, reverse=True)


def test_api_search_language_from_param_or_header(client, corpus):
    by_param = client.get("/api/v1/help/search", {"q": "password", "lang": "en"}).json()
    by_header = client.get("/api/v1/help/search", {"q": "password"}, HTTP_ACCEPT_LANGUAGE="en-GB,en").json()
    assert (
        by_param["results"][0]["title"] == by_header["results"][0]["title"] == "How do I reset my password?"
    )


@pytest.mark.parametrize("query", ["", "x" * 3000, "<script>", "🙂"])
def test_api_search_bad_input(client, corpus, query):
    response = client.get("/api/v1/help/search", {"q": query})
    assert response.status_code in (200, 422)
    assert "error" in response.json() or "results" in response.json()


def test_api_categories_articles_and_404(client, corpus):
    categories = client.get("/api/v1/help/categories", {"lang": "en"}).json()
    assert categories[0]["name"] == "Account & security" and categories[0]["articles"] == 4
    articles = client.get("/api/v1/help/articles", {"lang": "en"}).json()
    assert {a["key"] for a in articles} >= {"reset-password", "withdraw-funds"}
    one = client.get("/api/v1/help/articles/reset-password", {"lang": "zh-hans"}).json()
    assert one["title"] == "如何重置密码？" and "<p>" in one["body_html"]
    missing = client.get("/api/v1/help/articles/nope")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert "/api/v1/help/search" in client.get("/api/v1/openapi.json").json()["paths"]
