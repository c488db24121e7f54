from django.urls import path

from . import views

app_name = "merchant_disputes"

urlpatterns = [
    path("", views.merchant_list, name="list"),
    path("<str:number>/", views.merchant_detail, name="detail"),
    path("<str:number>/<str:what>/", views.merchant_post, name="post"),
]
