from .models import BotConversation

BOX_SESSION_KEY = "bot_box_conversation"


def box_conversation(request) -> BotConversation | None:
    """This browser's current "Ask OKPay" conversation (only the signed-in owner's, or a visitor's
    own one with no user)."""
    user = getattr(request, "user", None)
    user = user if user is not None and user.is_authenticated else None
    session = getattr(request, "session", None)
    pk = session.get(BOX_SESSION_KEY) if session is not None else None
    return BotConversation.objects.filter(pk=pk, user=user).first() if pk else None


def first_question(conversation: BotConversation) -> str:
    """What the customer first asked about (not a bare "转人工"/"agent please")."""
    turn = conversation.turns.exclude(hand_off_reason="requested").order_by("created_at", "id").first()
    return turn.text if turn else ""


def conversation_summary(conversation: BotConversation) -> str:
    """Every turn with what the bot made of it, for the agent who takes over."""
    turns = list(conversation.turns.order_by("created_at", "id"))
    lines = [
        f"{t.created_at:%H:%M} [{t.language}] {t.text} → {t.intent or '?'} ({t.confidence:.2f})"
        for t in turns
    ]
    who = conversation.user.email if conversation.user else "visitor (not signed in)"
    return f"Customer: {who}\n" + "\n".join(lines)


def box_history(request, *, limit: int = 12) -> list:
    """The latest turns of this browser's conversation, oldest first, for the chat panel."""
    conversation = box_conversation(request)
    if conversation is None:
        return []
    return list(reversed(conversation.turns.order_by("-created_at", "-id")[:limit]))
