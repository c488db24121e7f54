"""okpay.accounts.roles is the one owner of roles: predicates for code, `user|may:"…"` for templates,
`permission_required(predicate)` for views."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import Context, Template

from okpay.accounts import roles

ROLES = ["customer", "merchant", "agent", "supervisor", "admin"]
EXPECTED = {
    "is_customer": {"customer"},
    "is_merchant": {"merchant"},
    "is_wallet_holder": {"customer", "merchant"},
    "is_staff": {"agent", "supervisor", "admin"},
    "is_supervisor": {"supervisor", "admin"},
    "is_admin": {"admin"},
    "can_decide_reviews": {"supervisor", "admin"},
    "can_read_audit_log": {"supervisor", "admin"},
    "can_manage_macros": {"supervisor", "admin"},
    "can_train_bot": {"supervisor", "admin"},
    "can_edit_help": {"supervisor", "admin"},
    "needs_two_factor": {"agent", "supervisor", "admin"},
}


@pytest.mark.parametrize("role", ROLES)
def test_each_predicate_for_each_role(make_user, role):
    user = make_user(email=f"{role}@example.org", role=role)
    for name, allowed in EXPECTED.items():
        assert roles.PREDICATES[name](user) is (role in allowed), (name, role)
    user.is_active = False
    assert not any(check(user) for name, check in roles.PREDICATES.items() if name != "can_edit_help")


def test_anonymous_and_none_have_no_role():
    for check in roles.PREDICATES.values():
        assert check(AnonymousUser()) is False and check(None) is False


def test_template_filter_asks_the_predicates(make_user):
    template = Template(
        '{% load roles %}{% if user|may:"is_merchant" %}M{% endif %}{% if user|may:"nope" %}X{% endif %}'
    )
    assert template.render(Context({"user": make_user(email="m@example.org", role="merchant")})) == "M"
    assert template.render(Context({"user": make_user(email="c@example.org")})) == ""
    assert template.render(Context({"user": AnonymousUser()})) == ""


@pytest.mark.parametrize(("role", "status"), [("agent", 403), ("supervisor", 200)])
def test_permission_required_on_a_supervisor_page(client, make_user, signed_in, role, status):
    signed_in(make_user(email=f"{role}@example.org", role=role))
    assert client.get("/console/tickets/macros/").status_code == status


@pytest.mark.parametrize(("role", "shown"), [("merchant", True), ("customer", False)])
def test_merchant_area_link_only_for_merchants(client, make_user, signed_in, role, shown):
    signed_in(make_user(email=f"{role}@example.org", role=role))
    assert ('href="/merchant/"' in client.get("/account/").content.decode()) is shown
