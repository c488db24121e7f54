"""The one owner of roles and what each may do. Views (`permission_required(roles.is_staff)`),
console navigation (each `ConsolePage.permission`), templates (`{% load roles %}`, `user|may:"is_staff"`),
the API and actions ask these predicates; nothing else compares role strings. Queries that pick
users by role use the role sets below (`role__in=roles.MERCHANT_ROLES`)."""

from .choices import Role

STAFF_ROLES = frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN})
SUPERVISOR_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})
MERCHANT_ROLES = frozenset({Role.MERCHANT})
WALLET_HOLDER_ROLES = frozenset({Role.CUSTOMER, Role.MERCHANT})  # the people staff look up and help
SIGNUP_ROLE = Role.CUSTOMER  # what sign-up (and a user made without a role) is


def _role(user) -> str | None:
    if user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", True):
        return None
    return user.role


def is_customer(user) -> bool:
    return _role(user) == Role.CUSTOMER


def is_merchant(user) -> bool:
    """Merchants: the merchant area, payment links, receiving payments."""
    return _role(user) == Role.MERCHANT


def is_wallet_holder(user) -> bool:
    """Customers and merchants: the people with a wallet, whom staff look up (customer 360)."""
    return _role(user) in WALLET_HOLDER_ROLES


def is_staff(user) -> bool:
    """Agents, supervisors and administrators: the console, questions, customer 360, bot log."""
    return _role(user) in STAFF_ROLES


def is_supervisor(user) -> bool:
    """Supervisors and administrators: compliance reviews, retraining the bot, saved replies,
    the audit log, help-center publishing."""
    return _role(user) in SUPERVISOR_ROLES


def is_admin(user) -> bool:
    """Administrators: Django's admin (the only superusers)."""
    return _role(user) == Role.ADMIN


def can_edit_help(user) -> bool:
    return is_supervisor(user) or bool(
        getattr(user, "is_authenticated", False) and user.has_perm("helpcenter.change_article")
    )


def can_decide_reviews(user) -> bool:
    """Approve or reject international transfers held for compliance review."""
    return is_supervisor(user)


def can_decide_disputes(user) -> bool:
    """Review transaction disputes and decide them (refund in full or in part, or not); an appeal is
    decided by another such person than the first decision's."""
    return is_staff(user)


def can_operate_payouts(user) -> bool:
    """Run the manual payout provider: export batches, mark withdrawals paid or failed."""
    return is_supervisor(user)


def can_read_audit_log(user) -> bool:
    return is_supervisor(user)


def can_manage_macros(user) -> bool:
    """Create, edit and delete the saved replies agents use."""
    return is_supervisor(user)


def can_train_bot(user) -> bool:
    """Accept corrections as training examples, retrain, choose the active model version."""
    return is_supervisor(user)


def needs_two_factor(user) -> bool:
    """Whom OKPAY_REQUIRE_STAFF_2FA applies to."""
    return is_staff(user)


# The predicates a template may ask by name (`user|may:"can_decide_reviews"`).
PREDICATES = {
    name: value
    for name, value in dict(globals()).items()
    if callable(value) and (name.startswith("is_") or name.startswith("can_") or name.startswith("needs_"))
}


def landing_url_name(user) -> str:
    """Where a user lands after signing in when no `next` says otherwise: staff on the console,
    merchants on the merchant center, customers on My Account; anyone else on the home page."""
    if is_staff(user):
        return "console:index"
    if is_merchant(user):
        return "merchant:home"
    if is_customer(user):
        return "wallet:home"
    return "home"
