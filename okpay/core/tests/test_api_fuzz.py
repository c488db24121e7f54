"""Schemathesis fuzzing of the OpenAPI document (issue 10, "keep it closed"): every operation is
called with generated valid and invalid input as a signed-in customer holding a write token and
money in two currencies. No answer may be a 5xx, and the ledger's invariants hold afterwards."""

import uuid

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings

from config.api import api

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/v1"))
schema.app = get_wsgi_application()

EXAMPLES = 30  # per operation; the whole document takes well under a minute on two cores


@pytest.fixture
def _keep_connection():
    """The WSGI handler closes the database connection around each request (Django's test client
    disconnects the same signals); the test's transaction must survive the generated requests."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def customer_token(make_user, _keep_connection):
    from okpay.accounts.actions import api_token_hash
    from okpay.accounts.models import ApiToken
    from okpay.wallet.actions import topup_demo
    from okpay.wallet.fx import rates_refresh

    rates_refresh()
    user = make_user(email="fuzz@example.com", verification_level=2, language="en")
    make_user(email="fuzz.shop@example.com", role="merchant")
    topup_demo(user=user, amount_minor=1_000_000, currency="CNY", key="seed-cny")
    topup_demo(user=user, amount_minor=1_000_000, currency="EUR", key="seed-eur")
    ApiToken.objects.get_or_create(
        user=user,
        prefix="fuzzfuzzfuzz",
        defaults={"name": "fuzz", "secret_hash": api_token_hash("s3cret"), "scope": "write"},
    )
    return "okp_fuzzfuzzfuzz_s3cret"


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_generated_request_gets_a_server_error(case, customer_token):
    from okpay.wallet.ledger import ledger_verify

    response = case.call(
        headers={
            "Authorization": f"Bearer {customer_token}",
            "Idempotency-Key": uuid.uuid4().hex,
            "Host": "testserver",
        }
    )
    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:500])
    assert ledger_verify() == []
