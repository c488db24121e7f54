"""Demo data: the demo users."""

from django.utils import timezone

from okpay.core import i18n

from ..models import User


def demo_user_ensure(
    *, email: str, password: str, role: str, full_name: str, language: str
) -> tuple[User, bool]:
    user = User.objects.filter(email__iexact=email).first()
    if user is not None:
        return user, False
    user = User.objects.create_user(
        email=email,
        password=password,
        role=role,
        full_name=full_name,
        language=language,
        email_verified_at=timezone.now(),
        time_zone="Asia/Shanghai" if i18n.is_chinese(language) else "Europe/London",
    )
    return user, True
