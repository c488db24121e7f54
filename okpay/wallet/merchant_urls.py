from django.urls import path

from . import views_merchant

app_name = "merchant"

urlpatterns = [
    path("", views_merchant.merchant_home, name="home"),
]
