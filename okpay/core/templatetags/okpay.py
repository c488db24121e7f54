from django import template

from okpay.core import i18n
from okpay.core.money import country_name, format_money

register = template.Library()


@register.simple_tag
def money(amount_minor: int, currency: str) -> str:
    """{% money amount_minor currency %} formatted for the active language."""
    return format_money(int(amount_minor), currency, i18n.current())


@register.filter
def language_name(code: str) -> str:
    """{{ ticket.language|language_name }}: 简体中文 / English, not zh-hans / en."""
    return i18n.name(code)


@register.filter
def country(code: str) -> str:
    """{{ transfer.recipient_country|country }}: the country's name in the active language."""
    return country_name(code)


@register.filter
def audit_label(action: str) -> str:
    from okpay.core.audit_labels import audit_label as label

    return label(action)


@register.simple_tag
def tr(value: dict) -> str:
    """{% tr model.json_field %}: the active language's text of a {"zh-hans": …, "en": …} field."""
    return i18n.translated(value)
