"""Signing in attaches the guest's open chat to the account (the guest's signed cookie says which)."""

import logging

logger = logging.getLogger(__name__)


def guest_chat_claim(sender, request=None, user=None, **kwargs) -> None:
    if request is None or user is None:
        return
    from .actions import conversation_claim
    from .guests import guest_key_from_cookies

    guest_key = guest_key_from_cookies(getattr(request, "COOKIES", None))
    if not guest_key:
        return
    try:
        conversation_claim(user=user, guest_key=guest_key)
    except Exception:  # signing in must never fail because of a chat
        logger.exception("attaching the guest's chat at sign-in failed")
