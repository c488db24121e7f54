"""WalletError is the wallet's DomainError: one status per code, the same for the pages and the API."""

import pytest

from okpay.core.errors import Conflict, DomainError, PermissionDenied
from okpay.wallet.errors import (
    TransferTransitionForbidden,
    TransferTransitionRefused,
    WalletError,
    insufficient_funds,
)


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("insufficient_funds", 422),
        ("unsupported_country", 422),
        ("invalid_recipient_account", 422),
        ("recipient_name_required", 422),
        ("not_found", 404),
        ("quote_not_found", 404),
        ("forbidden", 403),
        ("cannot_cancel", 409),
        ("not_under_review", 409),
        ("same_currency", 400),  # anything else is a plain 400
        ("invalid_amount", 400),
    ],
)
def test_each_code_has_one_status(code, status):
    error = WalletError(code, "x")
    assert isinstance(error, DomainError) and error.status == status and error.code == code


def test_an_explicit_status_wins_and_messages_take_parameters():
    assert WalletError("limit", "x", status=422).status == 422
    assert WalletError("x", "at most %(n)s", n=3).message == "at most 3"
    assert insufficient_funds().status == 422


def test_transition_refusals_are_conflicts_and_forbidden_moves_403():
    refused = TransferTransitionRefused("illegal_transition", "no")
    forbidden = TransferTransitionForbidden("forbidden", "no")
    assert isinstance(refused, WalletError) and isinstance(refused, Conflict) and refused.status == 409
    assert isinstance(forbidden, WalletError) and isinstance(forbidden, PermissionDenied)
    assert forbidden.status == 403
