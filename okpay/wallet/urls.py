from django.urls import path

from . import views

app_name = "wallet"

urlpatterns = [
    path("", views.account_home, name="home"),
    path("transactions/", views.transaction_list, name="transactions"),
    path("transactions/<int:transaction_id>/", views.transaction_detail, name="transaction"),
    path("topup/", views.topup, name="topup"),
    path("pay/", views.pay, name="pay"),
]
