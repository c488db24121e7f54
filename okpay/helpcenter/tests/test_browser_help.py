"""In Chromium: a customer searches 怎么重置密码, opens the article, marks it not helpful and is offered
chat and a ticket, and sends the question with the article attached; an English user plays a video
tutorial with captions."""

import time

import pytest
from playwright.sync_api import expect

from okpay.helpcenter.search import index_forget, warm_up
from okpay.helpcenter.shipped import content_load

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def wait_until(page, expression: str, timeout: float = 15.0) -> None:
    """Poll with evaluate (CDP), since wait_for_function evaluates strings in-page, which the CSP forbids."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        page.wait_for_timeout(100)


@pytest.fixture
def site(live_server, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    index_forget()
    content_load()
    warm_up()  # as `okpay serve` does at start-up: typing is not timed against a cold index build
    yield live_server.url
    index_forget()


def test_customer_searches_reads_and_gets_offered_a_person(page, site, screenshot):
    page.goto(site + "/help/")
    expect(page.get_by_role("heading", name="有什么可以帮您？")).to_be_visible()
    search = page.get_by_role("searchbox", name="搜索帮助中心")
    search.press_sequentially("怎么重置密码", delay=30)
    suggestion = page.locator("#help-suggestions a").first
    expect(suggestion).to_be_visible()
    screenshot(page, "suggestions")
    search.press("Enter")
    expect(page).to_have_url(f"{site}/help/search/?q=%E6%80%8E%E4%B9%88%E9%87%8D%E7%BD%AE%E5%AF%86%E7%A0%81")
    first = page.locator("ol.results li").first
    expect(first.locator("mark").first).to_be_visible()
    screenshot(page, "results")
    first.get_by_role("link").click()
    expect(page).to_have_url(f"{site}/help/zh-hans/articles/reset-password/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("密码")
    screenshot(page, "article")

    page.get_by_role("button", name="没有帮助").click()
    expect(page.get_by_role("link", name="在线咨询").last).to_be_visible()
    expect(page.get_by_role("link", name="提交问题").last).to_have_attribute(
        "href", "/support/new/?article=reset-password"
    )
    page.get_by_label("太长", exact=False).or_(page.locator("input[name=reason]").nth(1)).first.check()
    page.locator("#feedback-box button[type=submit]").click()
    expect(page.locator("#feedback-box [role=status]")).to_be_visible()
    screenshot(page, "not-helpful-offers")

    page.locator("#feedback-box").get_by_role("link", name="提交问题").click()
    expect(page.locator(".notice").first).to_contain_text("重置")
    page.get_by_label("您的邮箱").fill("visitor@example.net")
    page.get_by_label("问题类型").select_option("account")
    page.get_by_label("您的留言").fill("按照文章操作了，但是一直收不到重置密码的邮件。")
    screenshot(page, "ticket-form-with-article")
    page.get_by_role("button", name="提交问题").click()
    expect(page.locator(".message-success")).to_contain_text("已提交给客服团队")
    expect(page.get_by_role("heading", level=1)).to_contain_text("重置")
    expect(page.locator(".thread-customer")).to_contain_text("收不到重置密码的邮件")
    screenshot(page, "ticket-submitted")


def test_english_user_plays_a_video_tutorial(chromium, site, screenshot):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.goto(site + "/help/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.locator(".video-card a").first.click()
    video = page.locator("video")
    expect(video).to_be_visible()
    expect(page.locator("track[srclang=en]")).to_have_attribute("default", "")
    wait_until(page, "document.querySelector('video').readyState >= 1")
    duration = page.evaluate("document.querySelector('video').duration")
    assert duration > 20
    page.evaluate("document.querySelector('video').muted = true")
    page.evaluate("document.querySelector('video').play()")
    wait_until(page, "document.querySelector('video').currentTime > 1.0")
    cues = page.evaluate("""() => { const t = document.querySelector('video').textTracks;
        for (const track of t) {
          if (track.language === 'en') { track.mode = 'showing'; return track.cues ? track.cues.length : -1; }
        }
        return -2; }""")
    wait_until(
        page,
        "[...document.querySelector('video').textTracks].some(t => t.language === 'en' && t.cues && "
        "t.cues.length > 3)",
    )
    screenshot(page, "video-playing")
    assert cues is not None
    context.close()
