import pytest
from django.test import Client

from okpay.accounts.models import UserSession
from okpay.accounts.tests.factories import PASSWORD
from okpay.core.models import AuditEvent

pytestmark = pytest.mark.smoke


@pytest.mark.parametrize(
    ("role", "status"),
    [("customer", 403), ("merchant", 403), ("agent", 200), ("supervisor", 200), ("admin", 200)],
)
def test_console_is_for_staff_roles_only(client, make_user, signed_in, role, status):
    signed_in(make_user(email=f"{role}@example.org", role=role))
    assert client.get("/console/").status_code == status


def test_console_requires_sign_in(client):
    response = client.get("/console/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=/console/")


def test_audit_log_is_shown_to_supervisors_not_agents(client, agent, supervisor, signed_in):
    signed_in(agent)
    assert "login.succeeded" not in client.get("/console/").content.decode()
    other = signed_in(supervisor, Client())
    assert "login.succeeded" in other.get("/console/").content.decode()


@pytest.mark.parametrize(
    ("role", "allowed"), [("customer", False), ("agent", False), ("supervisor", False), ("admin", True)]
)
def test_django_admin_only_for_admins(client, make_user, signed_in, role, allowed):
    signed_in(make_user(email=f"{role}@example.org", role=role))
    response = client.get("/admin/")
    assert (response.status_code == 200) is allowed


def test_sessions_list_and_sign_out_other_sessions(client, customer, signed_in):
    signed_in(customer)
    other = signed_in(customer, Client(HTTP_USER_AGENT="PhoneBrowser/1.0"))
    page = client.get("/accounts/security/").content.decode()
    assert "PhoneBrowser/1.0" in page
    client.post("/accounts/security/sessions/end-others/")
    assert other.get("/accounts/profile/").status_code == 302
    assert client.get("/accounts/profile/").status_code == 200
    assert UserSession.objects.filter(user=customer).count() == 1
    assert AuditEvent.objects.filter(action="sessions.ended_others").count() == 1


def test_cannot_end_someone_elses_session(client, customer, customer_en, signed_in):
    victim = signed_in(customer_en, Client())
    victim_session = UserSession.objects.get(user=customer_en)
    signed_in(customer)
    client.post(f"/accounts/security/sessions/{victim_session.pk}/end/")
    assert victim.get("/accounts/profile/").status_code == 200


def test_change_password_asks_current_and_keeps_this_session(
    client, customer, signed_in, committed, mailoutbox
):
    signed_in(customer)
    other = signed_in(customer, Client())
    wrong = client.post(
        "/accounts/password/change/",
        {
            "current_password": "nope",
            "new_password1": "fresh-pass-word-1",
            "new_password2": "fresh-pass-word-1",
        },
    )
    assert wrong.status_code == 400
    customer.refresh_from_db()
    assert customer.check_password(PASSWORD)
    with committed():
        ok = client.post(
            "/accounts/password/change/",
            {
                "current_password": PASSWORD,
                "new_password1": "fresh-pass-word-1",
                "new_password2": "fresh-pass-word-1",
            },
        )
    assert ok.status_code == 302
    assert client.get("/accounts/profile/").status_code == 200
    assert other.get("/accounts/profile/").status_code == 302
    assert mailoutbox[-1].subject == "您的 OKPay 密码已更改"


def test_profile_update_and_bad_input(client, customer, signed_in):
    signed_in(customer)
    bad = client.post(
        "/accounts/profile/",
        {"full_name": "王", "phone": "call me", "language": "xx", "time_zone": "Mars/Base"},
    )
    assert bad.status_code == 400
    customer.refresh_from_db()
    assert customer.language == "zh-hans" and customer.phone == ""
    ok = client.post(
        "/accounts/profile/",
        {"full_name": "Wang", "phone": "+86 138 0000 0000", "language": "en", "time_zone": "Asia/Hong_Kong"},
    )
    assert ok.status_code == 302
    customer.refresh_from_db()
    assert (customer.full_name, customer.phone, customer.language, customer.time_zone) == (
        "Wang",
        "+86 138 0000 0000",
        "en",
        "Asia/Hong_Kong",
    )
