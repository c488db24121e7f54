from django import template
from django.utils.translation import get_language

from okpay.core.money import format_money

register = template.Library()


@register.simple_tag
def money(amount_minor: int, currency: str) -> str:
    """{% money amount_minor currency %} formatted for the active language."""
    return format_money(int(amount_minor), currency, get_language() or "zh-hans")


@register.filter
def audit_label(action: str) -> str:
    from okpay.core.audit_labels import audit_label as label

    return label(action)
