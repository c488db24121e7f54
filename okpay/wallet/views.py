"""My Account (customer) pages and the payment-link page."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def account_home(request):
    return HttpResponse("My Account")


def payment_link_pay(request, token):
    return HttpResponse("pay")
