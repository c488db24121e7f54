from django.tasks import task

from . import actions


@task()
def password_reset_send(*, email: str, ip_address: str | None) -> str:
    return actions.password_reset_email_send(email=email, ip_address=ip_address)
