"""The one place that decides whether a `next` address from the request may be followed."""

import unicodedata

from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme


def _has_control_characters(value: str) -> bool:
    # CR/LF would split the Location header (a 500, or header injection); other control and
    # format characters (NUL, TAB, bidi overrides …) have no business in an address either.
    return any(unicodedata.category(char)[0] == "C" for char in value)


def safe_next(request, candidate: str | None, fallback: str = "home") -> str:
    """`candidate` when it is a same-site address (path, or this host with an allowed scheme; only
    https when the request is secure) without control characters; otherwise `fallback` (a URL name
    or a path, resolved with `resolve_url`)."""
    if (
        candidate
        and isinstance(candidate, str)
        and len(candidate) <= 2000
        and not _has_control_characters(candidate)
        and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return candidate
    return resolve_url(fallback)
