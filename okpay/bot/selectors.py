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


CONTENTLESS = ("talk_to_human", "greeting", "thanks", "goodbye", "small_talk", "insult")


def first_question(conversation: BotConversation) -> str:
    """The subject of a hand-off (the question form's subject): the message that was handed off — or,
    when that was only a request for a person ("转人工", "agent please"), the latest question before it
    that said what it is about. (The name is kept for the question form, which asks for it.)"""
    turns = list(conversation.turns.order_by("-created_at", "-id")[:50])
    handed = next((i for i, turn in enumerate(turns) if turn.hand_off), 0)
    for turn in turns[handed:]:
        if turn.intent not in CONTENTLESS:
            return turn.text
    return ""


def questions_from(conversation: BotConversation | None) -> list[str]:
    """The numbers of the questions created from this conversation (the question form attaches the
    conversation to the question it creates), oldest first: shown in the conversation after a hand-off."""
    if conversation is None:
        return []
    return list(conversation.tickets.order_by("created_at", "id").values_list("number", flat=True))


def conversation_summary(conversation: BotConversation) -> str:
    """The conversation as the customer had it — their messages and the bot's actual answers, at the
    service's local time — kept with the question for the agent who takes over. The console's question
    page shows the same turns again in the reading agent's language and time zone."""
    from django.utils import timezone

    turns = list(conversation.turns.order_by("created_at", "id"))
    who = conversation.user.email if conversation.user else "visitor (not signed in)"
    lines = [f"Customer: {who}"]
    for t in turns:
        lines.append(f"{timezone.localtime(t.created_at):%Y-%m-%d %H:%M} > {t.text}")
        if t.reply:
            lines.append(f"  OKPay: {' '.join(t.reply.split())[:500]}")
    return "\n".join(lines)


def conversation_turns(conversation: BotConversation | None) -> list:
    """The turns of a handed-over conversation, oldest first (the console's question page)."""
    if conversation is None:
        return []
    return list(conversation.turns.order_by("created_at", "id"))


def box_questions(request) -> list[str]:
    return questions_from(box_conversation(request))


def box_history(request, *, limit: int = 12) -> list:
    """The latest turns of this browser's conversation, oldest first, for the chat panel."""
    conversation = box_conversation(request)
    if conversation is None:
        return []
    return list(reversed(conversation.turns.order_by("-created_at", "-id")[:limit]))


# --- staff reads (console) ---------------------------------------------------------------------


def turns_for_review(*, show: str = "doubtful"):
    """The bot log for agents: every turn, or only the doubtful ones (low confidence, abstained,
    handed over), newest first."""
    from .models import BotTurn

    rows = BotTurn.objects.select_related("conversation", "corrected_by")
    if show == "doubtful":
        rows = rows.filter(confidence__lt=0.6) | rows.filter(abstained=True) | rows.filter(hand_off=True)
    return rows.order_by("-created_at", "-id")


def turn_get(*, turn_id: int, proposed_only: bool = False):
    from .choices import CorrectionStatus
    from .models import BotTurn

    rows = (
        BotTurn.objects.filter(correction_status=CorrectionStatus.PROPOSED)
        if proposed_only
        else BotTurn.objects.all()
    )
    return rows.filter(pk=turn_id).first()


def corrections_proposed():
    from .choices import CorrectionStatus
    from .models import BotTurn

    return BotTurn.objects.filter(correction_status=CorrectionStatus.PROPOSED).select_related("corrected_by")


def training_examples_recent(*, limit: int = 50):
    from .models import BotTrainingExample

    return BotTrainingExample.objects.order_by("-created_at")[:limit]


def training_examples_count() -> int:
    from .models import BotTrainingExample

    return BotTrainingExample.objects.count()


def model_versions_recent(*, limit: int = 30):
    from .models import BotModelVersion

    return BotModelVersion.objects.select_related("created_by")[:limit]


def model_version_get(*, version_id: int):
    from .models import BotModelVersion

    return BotModelVersion.objects.filter(pk=version_id).first()
