from django.conf import settings


def site(request):
    return {
        "DEMO_MODE": settings.DEMO_MODE,
        "SITE_URL": settings.SITE_URL,
        "SUPPORT_EMAIL": settings.OKPAY_SUPPORT_EMAIL,
    }
