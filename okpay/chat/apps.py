from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "okpay.chat"
    label = "chat"
