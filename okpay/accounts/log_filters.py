"""Keeps password-reset secrets out of logs.

The reset link is /accounts/password/reset/<uidb64>/<token>/ (accounts.urls, name
`password_reset_confirm`); on its first use the token is in the request path, which uvicorn's access
log and Django's request log print. This filter rewrites any such path in a record's message and
arguments to /accounts/password/reset/…redacted…/…redacted…/ (the token-free `set-password` step
keeps its name). It imports nothing from Django, so uvicorn's own logging setup can use it."""

import logging
import re
from collections.abc import Mapping

REDACTED = "…redacted…"
TOKEN_FREE_STEP = "set-password"  # accounts.views.RESET_TOKEN_IN_URL

# "/" or its percent-encoding (a path inside a query string, e.g. ?next=...).
_SEP = r"(?:/|%2[fF])"
_SEGMENT = r"(?:(?!%2[fF])[^/?#&\s\"'])+"
_RESET_PATH = re.compile(
    rf"(?P<prefix>{_SEP}accounts{_SEP}password{_SEP}reset{_SEP})"
    rf"(?P<uid>{_SEGMENT})(?P<sep>{_SEP})(?P<token>{_SEGMENT})"
)


def _replace(match: re.Match) -> str:
    token = match["token"]
    if token != TOKEN_FREE_STEP:
        token = REDACTED
    return f"{match['prefix']}{REDACTED}{match['sep']}{token}"


def reset_tokens_redact(text: str) -> str:
    if "reset" not in text:
        return text
    return _RESET_PATH.sub(_replace, text)


def _redact_value(value):
    return reset_tokens_redact(value) if isinstance(value, str) else value


class ResetTokenRedactFilter(logging.Filter):
    """Attach to a handler (or logger): rewrites the record in place and always lets it through."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = reset_tokens_redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact_value(arg) for arg in record.args)
        elif isinstance(record.args, Mapping):
            record.args = {key: _redact_value(value) for key, value in record.args.items()}
        return True
