from django.urls import path

from . import views

app_name = "bot"

urlpatterns = [
    path("ask/", views.ask, name="ask"),
]
