from django.utils import timezone

from okpay.accounts.models import User

PASSWORD = "correct-horse-battery-9"


def user_create(
    *, email: str, role: str = "customer", password: str = PASSWORD, verified: bool = True, **fields
) -> User:
    return User.objects.create_user(
        email=email,
        password=password,
        role=role,
        email_verified_at=timezone.now() if verified else None,
        **fields,
    )
