import pytest
from django.test import Client

from okpay.helpcenter.models import Article, ArticleFeedback, SearchQueryLog
from okpay.helpcenter.search import index_forget
from okpay.helpcenter.tests.factories import article_create, corpus_create

pytestmark = pytest.mark.smoke


@pytest.fixture
def corpus(db):
    index_forget()
    yield corpus_create()
    index_forget()


def test_index_lists_categories_popular_and_channels(client, corpus):
    Article.objects.filter(key="reset-password").update(popular_rank=1)
    from okpay.helpcenter.shipped import _channels_load

    _channels_load()
    page = client.get("/help/").content.decode()
    assert "如何重置密码？" in page and "账户与安全" in page
    assert "400-888-0000" in page and "support@okpay.example" in page
    assert "09:00–21:00" in page and "问问 OKPay" in page  # phone hours; the bot for chat


def test_article_page_in_both_languages_with_hreflang(client, corpus):
    zh = client.get("/help/zh-hans/articles/reset-password/")
    en = client.get("/help/en/articles/reset-password/")
    assert zh.status_code == en.status_code == 200
    assert "如何重置密码？" in zh.content.decode() and "How do I reset my password?" in en.content.decode()
    assert (
        'hreflang="en" href="http://127.0.0.1:8000/help/en/articles/reset-password/"' in zh.content.decode()
    )
    assert '<html lang="en">' in en.content.decode()


def test_missing_translation_falls_back_with_notice(client, corpus):
    article_create("zh-only", zh=("只有中文", "摘要", "正文内容"))
    response = client.get("/help/en/articles/zh-only/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "只有中文" in page
    assert "This article is not available in your language yet" in page


def test_unpublished_articles_are_hidden_from_customers(client, corpus, make_user, signed_in):
    article_create("secret-draft", zh=("草稿", "", "草稿内容"), status="draft")
    assert client.get("/help/zh-hans/articles/secret-draft/").status_code == 404
    signed_in(make_user(email="boss@example.com", role="supervisor"))
    assert client.get("/help/zh-hans/articles/secret-draft/").status_code == 200


def test_view_count_counts_once_per_session(client, corpus):
    for _ in range(3):
        client.get("/help/zh-hans/articles/reset-password/")
    Client().get("/help/zh-hans/articles/reset-password/")
    assert Article.objects.get(key="reset-password").view_count == 2


def test_feedback_one_vote_per_browser_and_reason_on_no(client, corpus):
    article = Article.objects.get(key="reset-password")
    first = client.post(
        "/help/feedback/reset-password/", {"helpful": "no", "language": "zh-hans"}, HTTP_HX_REQUEST="true"
    )
    assert first.status_code == 200
    body = first.content.decode()
    assert 'href="/help/#ask"' in body and 'href="/support/new/?article=reset-password"' in body
    client.post("/help/feedback/reset-password/", {"helpful": "yes"}, HTTP_HX_REQUEST="true")
    article.refresh_from_db()
    assert (article.helpful_yes, article.helpful_no) == (0, 1)
    reason = client.post(
        "/help/feedback/reset-password/", {"reason": "unclear", "comment": "太长了"}, HTTP_HX_REQUEST="true"
    )
    assert reason.status_code == 200
    vote = ArticleFeedback.objects.get()
    assert (vote.reason, vote.comment) == ("unclear", "太长了")
    other = Client()
    other.post("/help/feedback/reset-password/", {"helpful": "yes"}, HTTP_HX_REQUEST="true")
    article.refresh_from_db()
    assert (article.helpful_yes, article.helpful_no) == (1, 1)


def test_feedback_bad_input_is_refused(client, corpus):
    assert (
        client.post(
            "/help/feedback/reset-password/", {"helpful": "maybe"}, HTTP_HX_REQUEST="true"
        ).status_code
        == 400
    )
    assert (
        client.post(
            "/help/feedback/reset-password/", {"reason": "unclear"}, HTTP_HX_REQUEST="true"
        ).status_code
        == 400
    )
    assert client.post("/help/feedback/nope/", {"helpful": "yes"}).status_code == 404
    assert ArticleFeedback.objects.count() == 0


def test_signed_in_users_vote_once_across_browsers(corpus, customer, signed_in):
    first = signed_in(customer, Client())
    second = signed_in(customer, Client())
    first.post("/help/feedback/reset-password/", {"helpful": "yes"}, HTTP_HX_REQUEST="true")
    second.post("/help/feedback/reset-password/", {"helpful": "no"}, HTTP_HX_REQUEST="true")
    assert ArticleFeedback.objects.filter(user=customer).count() == 1
    assert Article.objects.get(key="reset-password").helpful_yes == 1


def test_search_page_highlights_and_logs(client, corpus):
    response = client.get("/help/search/", {"q": "重置密码"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "/help/zh-hans/articles/reset-password/" in page and "<mark>" in page
    assert SearchQueryLog.objects.get().is_failed is False


@pytest.mark.parametrize(
    "query", ["<script>alert('x')</script>", "x" * 2000, "🙂", "1' OR '1'='1", "提现 withdraw 🙂"]
)
def test_search_page_bad_input(client, corpus, query):
    response = client.get("/help/search/", {"q": query})
    assert response.status_code == 200
    assert "<script>alert" not in response.content.decode()


def test_no_result_offers_chat_and_ticket_and_is_logged(client, corpus):
    page = client.get("/help/search/", {"q": "量子计算机"}).content.decode()
    assert (
        'href="/help/#ask"' in page and 'href="/support/new/?q=%E9%87%8F' in page
    )  # the query becomes the subject
    assert SearchQueryLog.objects.get(query="量子计算机").is_failed


def test_suggestions_complete_partial_words(client, corpus):
    page = client.get("/help/search/suggest/", {"q": "withdr", "lang": "en"}).content.decode()
    assert "/help/en/articles/withdraw-funds/" in page


def test_sitemap_lists_both_languages(client, corpus):
    xml = client.get("/help/sitemap.xml").content.decode()
    assert "/help/zh-hans/articles/reset-password/" in xml and "/help/en/articles/reset-password/" in xml
    assert 'hreflang="zh-Hans"' in xml


def test_language_switch_on_an_article_goes_to_the_other_language_address(client, corpus):
    response = client.post(
        "/i18n/setlang/",
        {
            "language": "en",
            "next": "/help/zh-hans/articles/reset-password/",
            "next_en": "/help/en/articles/reset-password/",
        },
    )
    assert response["Location"] == "/help/en/articles/reset-password/"


def test_contact_page_shows_the_article_context(client, corpus):
    page = client.get("/help/contact/", {"article": "reset-password", "channel": "ticket"}).content.decode()
    assert "如何重置密码？" in page
