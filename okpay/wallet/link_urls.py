from django.urls import path

from . import views

app_name = "paylink"

urlpatterns = [
    path("", views.payment_link_pay, name="pay"),
]
