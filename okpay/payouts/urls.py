from django.urls import path

from . import views, withdrawal_views

app_name = "payouts"

urlpatterns = [
    path("", withdrawal_views.withdraw, name="withdraw"),
    path("confirm/", withdrawal_views.withdraw_confirm, name="withdraw_confirm"),
    path("history/", withdrawal_views.withdrawal_history, name="withdrawals"),
    path("<int:withdrawal_id>/", withdrawal_views.withdrawal_detail, name="withdrawal"),
    path("<int:withdrawal_id>/cancel/", withdrawal_views.withdrawal_cancel_view, name="withdrawal_cancel"),
    path("destinations/", views.destination_list, name="destinations"),
    path("destinations/new/", views.destination_new, name="destination_new"),
    path("destinations/<int:destination_id>/remove/", views.destination_remove, name="destination_remove"),
]
