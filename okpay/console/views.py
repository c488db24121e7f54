"""The agent/supervisor workspace. Views only: every read goes through another app's selectors."""

from django.shortcuts import render

from okpay.accounts.choices import Role
from okpay.accounts.permissions import role_required
from okpay.core.hooks import console_pages_for
from okpay.core.selectors import audit_events_list


@role_required(Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
def index(request):
    can_audit = request.user.role in (Role.SUPERVISOR, Role.ADMIN)
    return render(
        request,
        "console/index.html",
        {
            "pages": [
                (page, page.status() if page.status else "") for page in console_pages_for(request.user)
            ],
            "events": audit_events_list(limit=50) if can_audit else None,
        },
    )
