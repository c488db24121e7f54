"""Merchant area pages."""

from okpay.accounts.choices import Role
from okpay.accounts.permissions import role_required
from django.http import HttpResponse


@role_required(Role.MERCHANT)
def merchant_home(request):
    return HttpResponse("Merchant")
