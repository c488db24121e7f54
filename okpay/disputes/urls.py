from django.urls import path

from . import views

app_name = "disputes"

urlpatterns = [
    path("", views.dispute_list, name="list"),
    path("contact/<int:payment_id>/", views.contact, name="contact"),
    path("open/<int:payment_id>/", views.dispute_open, name="open"),
    path("files/<int:evidence_id>/", views.evidence_file, name="evidence"),
    path("<str:number>/", views.dispute_detail, name="detail"),
    path("<str:number>/<str:what>/", views.customer_post, name="post"),
]
