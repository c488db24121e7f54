from django.urls import path

from . import views, views_bot, views_help, views_tickets, views_wallet

app_name = "console"

urlpatterns = [
    path("", views.index, name="index"),
    path("help/", views_help.help_list, name="help_list"),
    path("help/new/", views_help.help_edit, name="help_new"),
    path("help/<int:article_id>/", views_help.help_edit, name="help_edit"),
    path("help/<int:article_id>/status/", views_help.help_status, name="help_status"),
    path("help/<int:article_id>/upload/", views_help.help_upload, name="help_upload"),
    path("help/preview/", views_help.help_preview, name="help_preview"),
    path("help/categories/", views_help.help_categories, name="help_categories"),
    path("help/report/", views_help.help_report, name="help_report"),
    path("bot/", views_bot.turns, name="bot_turns"),
    path("bot/turns/<int:turn_id>/correct/", views_bot.turn_correct, name="bot_turn_correct"),
    path("bot/corrections/", views_bot.corrections, name="bot_corrections"),
    path("bot/corrections/<int:turn_id>/", views_bot.correction_review, name="bot_correction_review"),
    path("bot/models/", views_bot.model_versions, name="bot_models"),
    path("bot/models/<int:version_id>/activate/", views_bot.model_activate, name="bot_model_activate"),
    path("bot/models/retrain/", views_bot.model_retrain, name="bot_model_retrain"),
    path("tickets/", views_tickets.tickets, name="tickets"),
    path("tickets/phone/", views_tickets.ticket_phone, name="ticket_phone"),
    path("tickets/macros/", views_tickets.macros, name="macros"),
    path("tickets/macros/new/", views_tickets.macro_edit, name="macro_new"),
    path("tickets/macros/<int:macro_id>/", views_tickets.macro_edit, name="macro_edit"),
    path("tickets/<str:number>/", views_tickets.ticket_detail, name="ticket"),
    path("tickets/<str:number>/reply/", views_tickets.ticket_reply, name="ticket_reply"),
    path("tickets/<str:number>/status/", views_tickets.ticket_status, name="ticket_status"),
    path("tickets/<str:number>/assign/", views_tickets.ticket_assign, name="ticket_assign"),
    path("tickets/<str:number>/priority/", views_tickets.ticket_priority, name="ticket_priority"),
    path("customers/", views_wallet.customers, name="customers"),
    path("customers/<int:customer_id>/", views_wallet.customer_360, name="customer"),
    path("reviews/", views_wallet.reviews, name="reviews"),
    path("reviews/<int:transfer_id>/", views_wallet.review_detail, name="review_detail"),
    path("reviews/<int:transfer_id>/decide/", views_wallet.review_decide, name="review_decide"),
]
