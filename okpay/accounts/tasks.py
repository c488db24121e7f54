from django.tasks import task


@task()
def password_reset_send(*, email: str, ip_address: str | None) -> str:
    # Imported here: the actions enqueue this task, so a module-level import would be a cycle.
    from .actions.passwords import password_reset_email_send

    return password_reset_email_send(email=email, ip_address=ip_address)
