from .models import BotConversation

BOX_SESSION_KEY = "bot_box_conversation"


def box_conversation(request) -> BotConversation | None:
    """This browser's current "Ask OKPay" conversation (only the signed-in owner's, or a visitor's
    own one with no user)."""
    user = request.user if request.user.is_authenticated else None
    pk = request.session.get(BOX_SESSION_KEY)
    return BotConversation.objects.filter(pk=pk, user=user).first() if pk else None


def first_question(conversation: BotConversation) -> str:
    turn = conversation.turns.order_by("created_at", "id").first()
    return turn.text if turn else ""
