"""The one owner of the product's languages. Everything else asks here instead of writing a
language code: `ZH` and `EN`, the default, normalising what a browser, a profile or an API client
sends, and picking a language's text out of a per-language field."""

from django.conf import settings
from django.utils.translation import get_language, gettext_noop

# Django's timesince/timeuntil join their parts with gettext(", "): listed here so our catalog carries
# it, translated for Chinese as a space ("23 小时 43 分钟", not "23 小时，43 分钟").
TIME_PARTS_SEPARATOR = gettext_noop(", ")

ZH = "zh-hans"
EN = "en"
CODES = (ZH, EN)  # settings.LANGUAGES lists the same codes with their names


def default() -> str:
    return settings.LANGUAGE_CODE


def current() -> str:
    """The active language, as one of CODES."""
    return normalise(get_language())


def normalise(value: str | None) -> str:
    """'zh', 'zh-CN', 'zh_Hans', 'ZH-HANS' → 'zh-hans'; 'en-GB' → 'en'; anything else → default."""
    code = (value or "").strip().lower().replace("_", "-")
    if code in CODES:
        return code
    if code.startswith("zh"):
        return ZH
    if code.startswith("en"):
        return EN
    return default()


def is_chinese(language: str | None) -> bool:
    return normalise(language) == ZH


def other(language: str | None) -> str:
    """The other language: where to look when a text is missing in this one."""
    return EN if normalise(language) == ZH else ZH


def translated(value: dict | None, language: str | None = None) -> str:
    """Pick a language from a {"zh-hans": …, "en": …} field, falling back to the other language."""
    if not value:
        return ""
    language = normalise(language) if language else current()
    return value.get(language) or value.get(ZH) or value.get(EN) or ""


def name(language: str | None) -> str:
    """A language's name for people (简体中文 / English in the active language), never its code."""
    code = normalise(language)
    return next((str(label) for value, label in settings.LANGUAGES if value == code), code)


def per_language(make) -> dict[str, str]:
    """{code: make(code)} for every language, e.g. for a per-language JSON field."""
    return {code: make(code) for code in CODES}
