"""Websocket routes of every app; the chat app adds its consumers here."""

websocket_urlpatterns: list = []
