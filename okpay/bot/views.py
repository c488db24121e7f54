from django.shortcuts import render
from django.utils.translation import get_language
from django.views.decorators.http import require_POST

from .engine import answer, reply_language
from .selectors import BOX_SESSION_KEY, box_conversation


@require_POST
def ask(request):
    """The "Ask OKPay" box of the help center (htmx): one question → the bot's answer."""
    text = (request.POST.get("q") or "").strip()[:1000]
    user = request.user if request.user.is_authenticated else None
    result = answer(text, reply_language(text, get_language()), user, box_conversation(request))
    request.session[BOX_SESSION_KEY] = result.conversation_id
    return render(request, "bot/_reply.html", {"question": text, "answer": result})
