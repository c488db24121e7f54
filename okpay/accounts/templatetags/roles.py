"""`{% load roles %}` … `{% if user|may:"is_merchant" %}`: templates ask the predicates of
okpay.accounts.roles by name instead of comparing role strings. An unknown name is False."""

from django import template

from okpay.accounts import roles

register = template.Library()


@register.filter
def may(user, predicate: str) -> bool:
    check = roles.PREDICATES.get(predicate)
    return bool(check and check(user))
