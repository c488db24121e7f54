"""The accounts app's answers for the bot (registered as hooks.BOT_ACTIONS in okpay_hooks.py)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from okpay.core.hooks import ActionLink, ActionResult


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


def lost_device(user, language) -> ActionResult:
    return ActionResult(
        text=_(
            "First, sign out every other device so nobody can use your account from the lost one. Then a "
            "person will help you."
        ),
        links=[
            ActionLink(
                _("Sign out all other sessions"), reverse("accounts:sessions_end_others"), method="post"
            ),
            ActionLink(_("Security"), reverse("accounts:security")),
        ],
        hand_off=True,
    )
