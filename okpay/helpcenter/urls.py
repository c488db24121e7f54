from django.urls import path

from . import views

app_name = "helpcenter"

urlpatterns = [
    path("", views.index, name="index"),
    path("search/", views.search, name="search"),
    path("search/suggest/", views.suggest, name="suggest"),
    path("contact/", views.contact, name="contact"),
    path("sitemap.xml", views.sitemap, name="sitemap"),
    path("feedback/<slug:key>/", views.feedback, name="feedback"),
    path("media/video/<int:asset_id>/<str:part>/", views.video_file, name="video_file"),
    path("media/captions/<int:caption_id>.vtt", views.caption_file, name="caption_file"),
    path("<str:language>/categories/<slug:slug>/", views.category, name="category"),
    path("<str:language>/articles/<str:slug>/", views.article, name="article"),
]
