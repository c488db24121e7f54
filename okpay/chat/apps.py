from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "okpay.chat"
    label = "chat"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from .signals import guest_chat_claim

        user_logged_in.connect(guest_chat_claim, dispatch_uid="okpay.chat.guest_chat_claim")
