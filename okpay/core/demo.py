"""Demo data. Each app adds its own objects as a `hooks.DEMO_STEPS` item (the accounts app makes
the users below), so `okpay demo` grows with the product without this module knowing the apps."""

from django.conf import settings

from . import hooks

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


def demo_load() -> list[str]:
    """Run every app's demo step (hooks.DEMO_STEPS, in order); each is idempotent."""
    if not settings.DEMO_MODE:
        raise RuntimeError("demo data is only loaded in demo mode (OKPAY_DEMO_MODE=1)")
    return [summary for step in hooks.items(hooks.DEMO_STEPS) if (summary := step.run())]


def demo_accounts_text() -> str:
    lines = [f"Demo accounts (password: {DEMO_PASSWORD}):"]
    lines += [f"  {role:<10} {email}" for email, role, _name, _language in DEMO_USERS]
    return "\n".join(lines)
