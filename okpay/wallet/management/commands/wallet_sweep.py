from django.core.management.base import BaseCommand

from okpay.wallet.international.actions import wallet_sweep


class Command(BaseCommand):
    help = "Run due wallet deadlines (pay-outs after the cancel window, review SLA expiry, expired holds)."

    def handle(self, *args, **options):
        self.stdout.write(", ".join(f"{k}={v}" for k, v in wallet_sweep().items()))
