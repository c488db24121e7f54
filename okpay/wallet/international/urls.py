from django.urls import path

from . import views

app_name = "international"

urlpatterns = [
    path("", views.international_new, name="new"),
    path("quote/<uuid:quote_id>/", views.international_confirm, name="confirm"),
    path("<int:transfer_id>/", views.international_detail, name="detail"),
    path("<int:transfer_id>/cancel/", views.international_cancel, name="cancel"),
]
