from django.conf import settings


def site(request):
    return {
        "DEMO_MODE": settings.DEMO_MODE,
        "SITE_URL": settings.SITE_URL,
        "SUPPORT_EMAIL": settings.OKPAY_SUPPORT_EMAIL,
    }


def notices(request):
    """The number of unread in-app notices, counted only when a page shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from django.utils.functional import SimpleLazyObject

    from .notices import notices_unread_count

    return {"NOTICES_UNREAD": SimpleLazyObject(lambda: notices_unread_count(user))}
