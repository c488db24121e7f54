from django.urls import path

from . import views

app_name = "payouts"

urlpatterns = [
    path("destinations/", views.destination_list, name="destinations"),
    path("destinations/new/", views.destination_new, name="destination_new"),
    path("destinations/<int:destination_id>/remove/", views.destination_remove, name="destination_remove"),
]
