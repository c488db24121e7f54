from django.urls import path

from . import phone_views, views

app_name = "tickets"

urlpatterns = [
    path("new/", views.new, name="new"),
    path("callback/", phone_views.callback_new, name="callback"),
    path("tickets/", views.mine, name="list"),
    path("tickets/<str:number>/", views.detail, name="detail"),
    path("tickets/<str:number>/reply/", views.reply, name="reply"),
    path("tickets/<str:number>/solved/", views.solve, name="solve"),
    path("tickets/<str:number>/rating/", views.rate, name="rate"),
    path("open/<str:token>/", views.access, name="access"),
    path("files/<int:attachment_id>/", views.attachment, name="attachment"),
]
