"""The questions report in Chromium (issue 15 item 5): at 390 px in Chinese and 1280 px in English the page
is no wider than the window (the chart and the tables scroll inside their boxes), the chart is an
accessible image with its table, and the CSV link downloads the same figures."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def month(make_user):
    from okpay.tickets.models import Ticket, TicketRating

    supervisor = make_user(email="super1@example.com", role="supervisor", full_name="主管 陈刚")
    agents = [make_user(email=f"a{i}@example.com", role="agent", full_name=f"客服 {i}号") for i in range(3)]
    now = timezone.now()
    for n in range(40):
        created = now - timedelta(days=n % 28, hours=n % 7)
        ticket = Ticket.objects.create(
            requester_email=f"v{n}@example.com",
            language="zh-hans",
            subject="问题",
            channel=["web", "email", "phone", "chat", "callback"][n % 5],
            group=["general", "payments", "security"][n % 3],
            assignee=agents[n % 3] if n % 4 else None,
        )
        marks = {"created_at": created}
        if n % 4:
            marks |= {"first_responded_at": created + timedelta(hours=n % 30), "status": "open"}
        if n % 3 == 0 and n % 4:
            marks |= {"solved_at": created + timedelta(hours=40), "status": "solved"}
        if n % 30 > 24:
            marks["reply_breached_at"] = created + timedelta(hours=24)
        Ticket.objects.filter(pk=ticket.pk).update(**marks)
        if "solved_at" in marks:
            TicketRating.objects.create(ticket=ticket, score=1 + n % 5, agent=ticket.assignee)
    return supervisor


@pytest.mark.parametrize(("width", "locale", "language"), [(390, "zh-CN", "zh-hans"), (1280, "en-US", "en")])
def test_the_report_fits_the_window(chromium, live_server, month, screenshot, width, locale, language):
    from okpay.accounts.tests.factories import PASSWORD

    month.language = language
    month.save(update_fields=["language"])
    context = chromium.new_context(
        viewport={"width": width, "height": 900}, locale=locale, accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(live_server.url + "/accounts/login/")
    page.locator("input[name=email]").fill(month.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=password]").press("Enter")
    page.wait_for_load_state()
    page.goto(live_server.url + "/console/tickets/reports/?days=30")
    expect(page.locator("h1")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    chart = page.locator("svg[role=img][aria-labelledby='chart-title chart-desc']")
    expect(chart).to_be_visible()
    assert chart.locator("rect").count() > 10 and page.locator("#chart-desc").count() == 1
    assert page.locator("[data-figure=created]").inner_text() == "40"
    page.locator(".report-days summary").click()
    expect(page.locator(".report-days table tbody tr")).to_have_count(30)
    screenshot(page, f"report-{width}")
    with page.expect_download() as download:
        page.locator("a[href*='table=tables']").click()
    with open(download.value.path(), encoding="utf-8", newline="") as file:
        data = file.read()
    assert data.startswith("\ufeff") and "\r\n" in data and ",40," in data.splitlines()[1]
    context.close()
