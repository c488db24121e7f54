"""Demo data. Each app adds its own objects through `demo_step_register`, so `okpay demo` grows
with the product without this module knowing the apps."""

from collections.abc import Callable

from django.conf import settings

DEMO_PASSWORD = "okpay-demo-2026"

DEMO_USERS = [
    # email, role, name, language
    ("customer@example.com", "customer", "王小明", "zh-hans"),
    ("customer.en@example.com", "customer", "Emma Clarke", "en"),
    ("merchant@example.com", "merchant", "晨光咖啡 Morning Coffee", "zh-hans"),
    ("bookstore@example.com", "merchant", "青藤书店 Ivy Books", "zh-hans"),
    ("agent@example.com", "agent", "客服 李娜 (Agent Li Na)", "zh-hans"),
    ("supervisor@example.com", "supervisor", "主管 陈刚 (Supervisor Chen)", "zh-hans"),
    ("admin@example.com", "admin", "Admin", "en"),
]
DEMO_EMAILS = frozenset(email for email, *_ in DEMO_USERS)

_steps: list[tuple[int, str, Callable[[], str | None]]] = []


def demo_step_register(order: int, name: str, step: Callable[[], str | None]) -> None:
    """`step()` must be idempotent; it returns a one-line summary of what it made, or None."""
    _steps.append((order, name, step))


def demo_users_ensure() -> str:
    from okpay.accounts.actions import demo_user_ensure

    created = 0
    for email, role, name, language in DEMO_USERS:
        _user, was_created = demo_user_ensure(
            email=email, password=DEMO_PASSWORD, role=role, full_name=name, language=language
        )
        created += was_created
    return f"demo users: {created} created, {len(DEMO_USERS) - created} already there"


demo_step_register(0, "users", demo_users_ensure)


def demo_load() -> list[str]:
    if not settings.DEMO_MODE:
        raise RuntimeError("demo data is only loaded in demo mode (OKPAY_DEMO_MODE=1)")
    return [
        summary for _order, _name, step in sorted(_steps, key=lambda s: (s[0], s[1])) if (summary := step())
    ]


def demo_accounts_text() -> str:
    lines = [f"Demo accounts (password: {DEMO_PASSWORD}):"]
    lines += [f"  {role:<10} {email}" for email, role, _name, _language in DEMO_USERS]
    return "\n".join(lines)
