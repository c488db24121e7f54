from okpay.chat.actions import conversation_open, handoff, message_post
from okpay.chat.guests import guest_key_new
from okpay.chat.models import Conversation

_counter = {"n": 0}


def client_id() -> str:
    _counter["n"] += 1
    return f"c-{_counter['n']}"


def guest_conversation(language: str = "zh-hans") -> tuple[Conversation, str]:
    key = guest_key_new()
    return conversation_open(guest_key=key, language=language), key


def say(conversation: Conversation, text: str, *, author=None, sender: str = "customer"):
    """Post a message with a fresh client id; returns Posted."""
    return message_post(
        conversation=conversation, sender=sender, author=author, client_id=client_id(), text=text
    )


def waiting(user, *, text: str = "我的付款没到账", language: str = "zh-hans") -> Conversation:
    """`user`'s conversation after asking the bot and then for a person (in hours, an agent online)."""
    conversation = conversation_open(user=user, language=language)
    say(conversation, text, author=user)
    handoff(conversation=conversation, actor=user)
    conversation.refresh_from_db()
    return conversation
