from django.core.management.base import BaseCommand

from okpay.helpcenter.shipped import content_load


class Command(BaseCommand):
    help = "Load the shipped help-center content (idempotent: only adds what is missing)."

    def handle(self, *args, **options):
        counts = content_load()
        self.stdout.write(", ".join(f"{value} {name}" for name, value in counts.items()) + " added")
