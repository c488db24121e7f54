"""The home page's cards (issue 16 item 18): every card describes a flow that exists and links to its page."""

import re

import pytest
from django.urls import resolve

pytestmark = pytest.mark.django_db


def test_every_home_card_links_to_a_page_of_the_site(client):
    page = client.get("/").content.decode()
    cards = re.findall(r'<article class="card">(.*?)</article>', page, re.S)
    assert len(cards) == 4
    for card in cards:
        links = re.findall(r'<a href="([^"]+)"', card)
        assert links, card
        for url in links:
            resolve(url.split("?")[0])
    assert "/account/disputes/" in page and "/account/international/" in page
