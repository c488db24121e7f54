from django.urls import path

from . import views_merchant

app_name = "merchant"

urlpatterns = [
    path("", views_merchant.merchant_home, name="home"),
    path("payments/<int:payment_id>/", views_merchant.payment_detail, name="payment"),
    path("links/", views_merchant.payment_links, name="links"),
]
