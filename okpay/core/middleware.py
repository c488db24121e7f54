"""Input that no view should ever see, refused in one place.

PostgreSQL cannot store a NUL character (U+0000) in text, and a lone UTF-16 surrogate
(JSON "\\ud800") cannot be encoded as UTF-8 by either database, so either one reaching a query is
a 500. A body over DATA_UPLOAD_MAX_MEMORY_SIZE, too many fields or an unreadable multipart body
raise while the request is parsed. This middleware checks the path, the query string, url-encoded
POST fields and API JSON bodies before the view runs, and multipart fields when they are parsed
(so a view can still install upload handlers). It answers a clear, translated refusal: HTML pages
get the error page (400, or 413 when too large); /api/ gets the API's error shape
{"error": {"code", "message"}} (422 for characters, 413, or 400). Nothing is changed on a refusal."""

import json
import re

from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.http import JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

API_PREFIX = "/api/"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# U+0000 and the UTF-16 surrogate range U+D800–U+DFFF (only ever "lone" in a Python str)
FORBIDDEN = re.compile("[\x00\ud800-\udfff]")


class InputRefused(SuspiciousOperation):
    """Raised when a refused request's body is parsed lazily (see `_guard_multipart`)."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind  # characters | too_large | unreadable


def _check_text(value) -> None:
    if isinstance(value, str) and FORBIDDEN.search(value):
        raise InputRefused("characters")


def _check_pairs(data) -> None:
    for key, values in data.lists():
        _check_text(key)
        for value in values:
            _check_text(value)  # uploads: Django already drops unprintable file-name characters


def _check_json(data) -> None:
    """Every key and string value of a parsed JSON document, without recursion (deep nesting)."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            _check_text(item)
        elif isinstance(item, dict):
            for key, value in item.items():
                _check_text(key)
                stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)


def _refusal_from(error: Exception) -> InputRefused:
    if isinstance(error, InputRefused):
        return error
    if isinstance(error, RequestDataTooBig):
        return InputRefused("too_large")
    return InputRefused("unreadable")  # too many fields/files, a broken multipart body, bad charset


PARSE_ERRORS = (SuspiciousOperation, MultiPartParserError, BadRequest)


def _check_request(request) -> None:
    """Path, query string, url-encoded form and API bodies, at once."""
    _check_text(request.path)
    _check_text(request.path_info)
    content_type = (request.content_type or "").lower()
    try:
        _check_pairs(request.GET)
        if request.method == "POST" and content_type == "application/x-www-form-urlencoded":
            _check_pairs(request.POST)
        elif request.path_info.startswith(API_PREFIX) and content_type not in FORM_TYPES:
            # the API parses every body as JSON, whatever the declared content type
            body = request.body
            if body:
                try:
                    data = json.loads(body)
                except (ValueError, RecursionError):
                    return  # not JSON: the API answers its own "cannot parse" error
                _check_json(data)
    except PARSE_ERRORS as error:
        raise _refusal_from(error) from error


def _guard_multipart(request) -> None:
    """A multipart body is checked when it is parsed, not here: a view may still install its own
    upload handlers (size limits) before anything of the body is read."""
    load = request._load_post_and_files

    def load_and_check():
        try:
            load()
            _check_pairs(request._post)
            _check_pairs(request._files)
        except PARSE_ERRORS as error:
            refusal = _refusal_from(error)
            request._okpay_refusal = refusal.kind
            request._mark_post_parse_error()  # the view gets no data from a refused body
            raise refusal from error

    request._load_post_and_files = load_and_check


def refusal_response(request, kind: str):
    limit = filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    status, code, title, message = {
        "characters": (
            400,
            "invalid_characters",
            _("Characters we cannot accept"),
            _(
                "What you sent contains a character that is not allowed (a null character or an "
                "unpaired surrogate). Remove it and try again."
            ),
        ),
        "too_large": (
            413,
            "too_large",
            _("Too much data"),
            _("What you sent is too large. Send at most %(limit)s at a time.") % {"limit": limit},
        ),
        "unreadable": (
            400,
            "bad_request",
            _("Bad request"),
            _("We could not read what you sent. Check it and try again."),
        ),
    }[kind]
    if request.path_info.startswith(API_PREFIX):
        if kind == "characters":
            status = 422  # like any other invalid API input
        return JsonResponse({"error": {"code": code, "message": message}}, status=status)
    return render(request, "400.html", {"error_title": title, "error_message": message}, status=status)


class InputGuardMiddleware:
    """Refuses NUL characters, lone surrogates, oversized and unreadable request data: the path, query
    string, url-encoded forms and API JSON bodies before the view; multipart forms when parsed."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            _check_request(request)
        except InputRefused as refusal:
            return refusal_response(request, refusal.kind)
        if request.method == "POST" and (request.content_type or "").lower() == "multipart/form-data":
            _guard_multipart(request)
        response = self.get_response(request)
        kind = getattr(request, "_okpay_refusal", None)
        if kind is not None:  # the body was refused while a view (or the CSRF check) parsed it
            return refusal_response(request, kind)
        return response
