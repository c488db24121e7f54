from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.tasks import task


@task()
def send_email(*, to: str, subject: str, text: str, html: str, reply_to: str = "") -> None:
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        reply_to=[reply_to] if reply_to else None,
    )
    if html:
        message.attach_alternative(html, "text/html")
    message.send()
