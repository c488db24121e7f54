import zoneinfo
from datetime import datetime

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from okpay.core.api import ApiError

from . import actions
from .choices import Language

router = Router(tags=["accounts"])


class MeOut(Schema):
    id: int
    email: str
    name: str
    role: str
    language: str
    time_zone: str
    email_verified: bool
    date_joined: datetime


@router.get("/me", response=MeOut, summary="The signed-in user")
def me(request):
    user = request.auth
    return MeOut(
        id=user.pk,
        email=user.email,
        name=user.full_name,
        role=user.role,
        language=user.language,
        time_zone=user.time_zone,
        email_verified=user.is_email_verified,
        date_joined=user.date_joined,
    )


class MeUpdateIn(Schema):
    name: str | None = Field(None, max_length=150)
    language: Language | None = None  # the codes of okpay.core.i18n
    time_zone: str | None = Field(None, max_length=64)


@router.patch("/me", response=MeOut, summary="Update the signed-in user's name, language or time zone")
def me_update(request, payload: MeUpdateIn):
    user = request.auth
    if payload.time_zone is not None and payload.time_zone not in zoneinfo.available_timezones():
        raise ApiError(422, "invalid_time_zone", _("Choose a valid time zone."))
    actions.profile_update(
        user=user,
        full_name=payload.name if payload.name is not None else user.full_name,
        phone=user.phone,
        language=payload.language or user.language,
        time_zone=payload.time_zone or user.time_zone,
    )
    return me(request)
