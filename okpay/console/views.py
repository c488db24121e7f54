"""The agent/supervisor workspace. Views only: every read goes through another app's selectors."""

from django.shortcuts import render

from okpay.accounts import roles
from okpay.accounts.permissions import permission_required
from okpay.core.hooks import console_pages_for
from okpay.core.selectors import audit_events_list


@permission_required(roles.is_staff)
def index(request):
    can_audit = roles.can_read_audit_log(request.user)
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
