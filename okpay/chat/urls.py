from django.urls import path

from . import views

app_name = "chat"

urlpatterns = [
    path("transcript/<str:token>/", views.transcript, name="transcript"),
]
