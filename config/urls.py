from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from config.api import api
from okpay.accounts import views_language as language_views
from okpay.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/setlang/", language_views.set_language, name="set_language"),
    path("api/v1/", api.urls),
    path("", core_views.home, name="home"),
    path("notices/", core_views.notices, name="notices"),
    path("accounts/", include("okpay.accounts.urls")),
    path("console/", include("okpay.console.urls")),
    path("help/", include("okpay.helpcenter.urls")),
    path("bot/", include("okpay.bot.urls")),
    path("support/", include("okpay.tickets.urls")),
    path("chat/", include("okpay.chat.urls")),
    path("account/international/", include("okpay.wallet.international.urls")),
    path("account/withdraw/", include("okpay.payouts.urls")),
    path("account/disputes/", include("okpay.disputes.urls")),
    path("account/", include("okpay.wallet.urls")),
    path("merchant/disputes/", include("okpay.disputes.merchant_urls")),
    path("merchant/", include("okpay.wallet.merchant_urls")),
    path("pay/<str:token>/", include("okpay.wallet.link_urls")),
    path("admin/", admin.site.urls),
]
if settings.DEMO_MODE:
    urlpatterns.append(path("demo/", include("okpay.core.demo_urls")))
