"""The chat widget's configuration block on customer pages: present (with the CSP nonce), in the
page's language, with the chat channel's hours, JSON that cannot close its script element; not in
the console."""

import json
import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def bot():
    """Not the chat tests' scripted bot: these tests load the site's views, which must keep the real one."""
    return None


CONFIG = re.compile(r'<script type="application/json" id="chat-config" nonce="([^"]+)">(.*?)</script>', re.S)


def _config(response):
    match = CONFIG.search(response.content.decode())
    assert match, "no chat-config block"
    assert match.group(1) in response.headers["Content-Security-Policy"]
    return json.loads(match.group(2))


def test_customer_pages_carry_the_widget_config_in_their_language(client, signed_in, customer_en):
    from okpay.helpcenter.shipped import content_load

    content_load()
    config = _config(client.get("/"))
    assert config["language"] == "zh-hans"
    assert config["signed_in"] is False
    assert config["hours"] == ["08:00", "22:00"]
    assert config["strings"]["talk_to_person"] == "转人工客服"
    assert "08:00" not in config["strings"]["intro_hours"]  # filled in by the script
    assert _config(client.get("/help/"))["ws"] == "/ws/chat/"  # "chat now" there opens the widget
    signed_in(customer_en)
    config = _config(client.get("/account/"))
    assert config["signed_in"] is True
    assert config["strings"]["talk_to_person"] == "Talk to a person"
    assert config["ticket_url"] == "/support/tickets/NUMBER/"


def test_the_config_cannot_end_its_script_element(client, monkeypatch):
    from okpay.chat.templatetags import chat_widget

    original = chat_widget._strings
    monkeypatch.setattr(chat_widget, "_strings", lambda: {**original(), "title": "</script><b>x</b>&"})
    body = client.get("/").content.decode()
    assert "</script><b>" not in body
    assert _config(client.get("/"))["strings"]["title"] == "</script><b>x</b>&"


def test_not_in_the_console(signed_in, agent):
    console = signed_in(agent, Client())
    assert 'id="chat-config"' not in console.get("/console/", follow=True).content.decode()
