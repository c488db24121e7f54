"""The accounts app's answers for the bot (registered as hooks.BOT_ACTIONS in okpay_hooks.py): the
password, and the protective steps for account security — an account taken over, a lost phone, a lost
or stolen bank card, payments the customer did not make.

The buttons act through the existing pages: "Sign out every other session" posts to the security
page's own form action (accounts:sessions_end_others), which signs them out and confirms how many on the
security page; "Change password" and "Turn on two-step verification" open their pages."""

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from okpay.core.hooks import ActionLink, ActionResult

from . import selectors


def reset_password(user, language) -> ActionResult:
    return ActionResult(
        text=_(
            "You are signed in, so you can change your password directly. Forgot it? Use the reset link: "
            "we email it to %(email)s."
        )
        % {"email": user.email},
        links=[
            ActionLink(_("Change password"), reverse("accounts:password_change")),
            ActionLink(_("Reset password"), reverse("accounts:password_reset")),
        ],
    )


def _protective_links(user) -> list[ActionLink]:
    links = [
        ActionLink(_("Sign out every other session"), reverse("accounts:sessions_end_others"), method="post"),
        ActionLink(_("Change password"), reverse("accounts:password_change")),
    ]
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        links.append(ActionLink(_("Turn on two-step verification"), reverse("accounts:2fa_setup")))
    links.append(ActionLink(_("Security"), reverse("accounts:security")))
    return links


def _sessions_line(user) -> str:
    sessions = list(selectors.user_sessions_list(user=user)[:20])
    if len(sessions) <= 1:
        return _("Only this session is signed in to your account right now.")
    latest = max(session.last_seen_at for session in sessions)
    return _("%(count)d sessions are signed in to your account (latest activity %(time)s).") % {
        "count": len(sessions),
        "time": date_format(timezone.localtime(latest), "DATETIME_FORMAT"),
    }


def account_takeover(user, language) -> ActionResult:
    """ "My account was hacked": protect the account now, then a person (urgent)."""
    return ActionResult(
        text=_sessions_line(user)
        + " "
        + _(
            "Protect your account now: sign out every other session, change your password and turn on "
            "two-step verification. Then check your transactions for anything you did not do."
        ),
        links=[
            *_protective_links(user),
            ActionLink(_("Transaction history"), reverse("wallet:transactions")),
        ],
        hand_off=True,
    )


def lost_device(user, language) -> ActionResult:
    """ "I lost my phone": sign out the lost phone's session first, then a person."""
    return ActionResult(
        text=_sessions_line(user)
        + " "
        + _(
            "First sign out every other session, so nobody can use your account from the lost phone, and "
            "change your password."
        ),
        links=_protective_links(user),
        hand_off=True,
    )


def lost_card(user, language) -> ActionResult:
    """ "I lost my card / my card was stolen": the card belongs to the customer's bank; on OKPay, protect
    the account and check the transactions."""
    return ActionResult(
        text=_(
            "Your bank blocks the card: call the number in your banking app. On OKPay, sign out every other "
            "session and change your password if you think someone has your details, and check your "
            "transactions."
        ),
        links=[
            *_protective_links(user),
            ActionLink(_("Transaction history"), reverse("wallet:transactions")),
        ],
        hand_off=True,
    )


def secure_account(user, language) -> ActionResult:
    """The protective buttons alone (added after the payments list for "I don't recognise a payment")."""
    return ActionResult(
        text=_("If someone else may be using your account, protect it now:"),
        links=_protective_links(user)[:3],
        hand_off=True,
    )
