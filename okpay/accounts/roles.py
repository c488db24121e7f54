"""The one owner of roles and what each may do. Views (`role_required` / `permission_required`),
console navigation (each `ConsolePage.permission`), the API and actions ask these predicates;
nothing else compares role strings."""

from .choices import Role

STAFF_ROLES = frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN})
SUPERVISOR_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})


def _role(user) -> str | None:
    if user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", True):
        return None
    return user.role


def is_customer(user) -> bool:
    return _role(user) == Role.CUSTOMER


def is_merchant(user) -> bool:
    return _role(user) == Role.MERCHANT


def is_staff(user) -> bool:
    """Agents, supervisors and administrators: the console, questions, customer 360, bot log."""
    return _role(user) in STAFF_ROLES


def is_supervisor(user) -> bool:
    """Supervisors and administrators: compliance reviews, retraining the bot, saved replies,
    the audit log, help-center publishing."""
    return _role(user) in SUPERVISOR_ROLES


def is_admin(user) -> bool:
    return _role(user) == Role.ADMIN


def can_edit_help(user) -> bool:
    return is_supervisor(user) or bool(
        getattr(user, "is_authenticated", False) and user.has_perm("helpcenter.change_article")
    )


def can_decide_reviews(user) -> bool:
    return is_supervisor(user)


def can_read_audit_log(user) -> bool:
    return is_supervisor(user)
