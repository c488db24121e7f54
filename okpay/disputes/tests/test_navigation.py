"""The help center's paths to disputes exist: My Account → Disputes and Merchant area → Disputes."""

import pytest

pytestmark = pytest.mark.django_db


def test_my_account_links_the_customers_disputes(customer, signed_in):
    page = signed_in(customer).get("/account/").content.decode()
    assert 'href="/account/disputes/"' in page


def test_the_merchant_area_links_the_merchants_disputes(make_user, signed_in):
    shop = make_user(email="shop@example.com", role="merchant", full_name="Tea Shop")
    page = signed_in(shop).get("/merchant/").content.decode()
    assert 'href="/merchant/disputes/"' in page
