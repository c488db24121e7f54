"""What disputes plug into core's extension points: the transaction page's links, audit labels, the
deadline sweep's schedule, the console's review queue and the customer 360's disputes panel."""

from django.utils.translation import gettext_lazy

from okpay.accounts import roles
from okpay.core import hooks

from .audit_labels import AUDIT_LABELS

hooks.register(hooks.AUDIT_LABELS, AUDIT_LABELS)


def _transaction_links(row, user):
    from .views import payment_dispute_links

    return payment_dispute_links(row, user)


hooks.register(hooks.TRANSACTION_LINKS, _transaction_links)


def _sweep_schedule():
    from .tasks import disputes_sweep_schedule

    return disputes_sweep_schedule()


hooks.register(hooks.WORKER_SCHEDULES, hooks.Schedule("disputes sweep", _sweep_schedule))


# --- the console: the review queue and the customer 360's panel ----------------------------------


def _review_queue_status() -> str:
    from django.utils.translation import gettext

    from .selectors_staff import queue_summary

    return gettext("%(review)s to review · %(urgent)s urgent · %(overdue)s overdue") % queue_summary()


hooks.register(
    hooks.CONSOLE_PAGES,
    hooks.ConsolePage(
        key="disputes",
        title=gettext_lazy("Disputes"),
        url_name="console:disputes",
        permission=roles.is_staff,
        status=_review_queue_status,
    ),
    order=26,
)


def _customer_panel_context(customer, viewer) -> dict:
    from .selectors_staff import disputes_of_user

    return {**disputes_of_user(user=customer), "customer_email": customer.email}


hooks.register(
    hooks.CUSTOMER_PANELS,
    hooks.CustomerPanel(
        key="disputes",
        title=gettext_lazy("Disputes"),
        template="console/disputes_customer_panel.html",
        context=_customer_panel_context,
        permission=roles.is_staff,
    ),
)


def _api_router():
    from .api import router

    return router


def _upload_body_limit() -> int:
    from .views import upload_cap

    return upload_cap()


hooks.register(hooks.API_ROUTERS, _api_router, order=58)
hooks.register(
    hooks.BODY_LIMITS, hooks.BodyLimit(r"/api/v1/disputes/[^/]+/(evidence|appeal)", _upload_body_limit)
)


# --- the answer bot: the customer's own payments and disputes (intents name these keys) ----------


def _bot_actions() -> None:
    from . import bot_actions

    for key, handler in (
        ("dispute_charged_twice", bot_actions.charged_twice),
        ("dispute_unrecognised_payment", bot_actions.unrecognised_payment),
        ("dispute_refund_missing", bot_actions.refund_missing),
        ("dispute_start", bot_actions.dispute_start),
        ("dispute_status", bot_actions.dispute_status),
    ):
        hooks.register(hooks.BOT_ACTIONS, hooks.BotAction(key, handler))


_bot_actions()


def _demo_disputes():
    from .demo import disputes_demo_load

    return disputes_demo_load()


hooks.register(hooks.DEMO_STEPS, hooks.DemoStep("disputes", _demo_disputes), order=27)
