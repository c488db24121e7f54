"""A new visitor, in real Chromium: home in Chinese → English → sign up → verify from the demo outbox
→ sign in → sign out → forgot password → reset link → new password → sign in. Screenshots of every
step go to test-artifacts/."""

import re

import pytest
from playwright.sync_api import expect

from okpay.accounts.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIRST_PASSWORD = "journey-first-pass-1"
NEW_PASSWORD = "journey-second-pass-2"


@pytest.fixture
def site(live_server, settings):
    settings.SITE_URL = live_server.url
    settings.MAILERS = {"default": {"BACKEND": "okpay.core.mail.OutboxEmailBackend"}}
    return live_server.url


def open_latest_email(page, site, subject):
    page.goto(f"{site}/demo/outbox/")
    page.get_by_role("link", name=subject).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(subject)
    return page.locator(".email-body a").first.get_attribute("href")


def test_new_visitor_signs_up_verifies_and_resets_password(page, site, screenshot):
    csp_violations = []
    page.on(
        "console",
        lambda msg: csp_violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )

    page.goto(site + "/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.get_by_role("link", name="客服", exact=True)).to_be_visible()
    screenshot(page, "home-zh")

    page.get_by_label("语言").select_option("en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("link", name="Help", exact=True)).to_be_visible()
    screenshot(page, "home-en")

    page.get_by_role("link", name="Create an account").first.click()
    page.get_by_label("Email address", exact=True).fill("new.visitor@example.com")
    page.get_by_label("Your name").fill("New Visitor")
    page.get_by_label("New password", exact=True).fill(FIRST_PASSWORD)
    page.get_by_label("New password again").fill(FIRST_PASSWORD)
    screenshot(page, "signup-form")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    screenshot(page, "signup-done")

    link = open_latest_email(page, site, "Verify your OKPay email address")
    screenshot(page, "outbox-verify-email")
    page.goto(link)
    expect(page.get_by_role("heading", name="Your email address is verified")).to_be_visible()
    assert User.objects.get(email="new.visitor@example.com").email_verified_at is not None
    screenshot(page, "email-verified")

    page.get_by_role("main").get_by_role("link", name="Sign in").click()
    page.get_by_label("Email address", exact=True).fill("new.visitor@example.com")
    page.get_by_label("Password").fill(FIRST_PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Sign in").click()
    expect(page.locator("details.account-menu summary")).to_have_text("New Visitor")
    screenshot(page, "signed-in")

    page.locator("details.account-menu summary").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    screenshot(page, "signed-out")

    page.get_by_role("link", name="Sign in").click()
    page.get_by_role("link", name="Forgot password?").first.click()
    page.get_by_label("Email address", exact=True).fill("new.visitor@example.com")
    screenshot(page, "forgot-password")
    page.get_by_role("button", name="Send reset link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    screenshot(page, "reset-sent")

    link = open_latest_email(page, site, "Reset your OKPay password")
    assert link.startswith(site + "/accounts/password/reset/")
    screenshot(page, "outbox-reset-email")
    page.goto(link)
    assert re.search(r"/set-password/$", page.url), "the token must leave the address bar"
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    screenshot(page, "new-password")
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_role("heading", name="Your password has been changed")).to_be_visible()
    expect(page.locator("details.account-menu")).to_have_count(0)  # no auto-login
    screenshot(page, "reset-done")

    page.get_by_role("main").get_by_role("link", name="Sign in").click()
    page.get_by_label("Email address", exact=True).fill("new.visitor@example.com")
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Sign in").click()
    expect(page.locator("details.account-menu summary")).to_have_text("New Visitor")
    screenshot(page, "signed-in-with-new-password")

    assert page.context.browser.version
    assert csp_violations == []


def test_pages_render_on_desktop_in_both_languages(chromium, site, screenshot, django_user_model):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    for language in ("zh-hans", "en"):
        page.goto(site + "/")
        page.locator("#lang-select").select_option(language)
        expect(page.locator("html")).to_have_attribute("lang", "zh-Hans" if language == "zh-hans" else "en")
        for path in ("/", "/help/", "/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"):
            response = page.goto(site + path)
            assert response.status == 200
            screenshot(page, f"desktop-{language}-{path.strip('/').replace('/', '-') or 'home'}")
    context.close()
