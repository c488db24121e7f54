from datetime import datetime

from ninja import Router, Schema

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
    return MeOut(id=user.pk, email=user.email, name=user.full_name, role=user.role, language=user.language,
                 time_zone=user.time_zone, email_verified=user.is_email_verified, date_joined=user.date_joined)
