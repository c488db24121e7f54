"""Production refuses the sandbox payout provider (okpay.E012): it pays nobody."""

from django.conf import settings
from django.core.checks import CheckMessage, Error, register


@register(deploy=True)
def payout_provider_real(app_configs: object, **kwargs: object) -> list[CheckMessage]:
    from .providers import PROVIDERS

    provider = getattr(settings, "OKPAY_PAYOUT_PROVIDER", "")
    if provider not in PROVIDERS:
        return [
            Error(f"Unknown OKPAY_PAYOUT_PROVIDER {provider!r}.", hint="manual or sandbox", id="okpay.E012")
        ]
    if provider == "sandbox" and not settings.DEMO_MODE:
        return [
            Error(
                "The sandbox payout provider settles withdrawals by itself and pays nobody.",
                hint="Set OKPAY_PAYOUT_PROVIDER=manual (or a real provider) outside demo mode.",
                id="okpay.E012",
            )
        ]
    return []
