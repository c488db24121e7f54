from django.core.management.base import BaseCommand, CommandError

from okpay.wallet.fx import RateFileError, rates_refresh


class Command(BaseCommand):
    help = (
        "Exchange rates: `okpay fx refresh [--url URL | --file PATH]` (no option: the bundled ECB snapshot)."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["refresh"])
        parser.add_argument("--url")
        parser.add_argument("--file")

    def handle(self, *args, action, url=None, file=None, **options):
        if url and file:
            raise CommandError("give --url or --file, not both")
        try:
            rate_set = rates_refresh(url=url, path=file)
        except (RateFileError, OSError) as error:
            raise CommandError(f"rates not loaded: {error}") from error
        self.stdout.write(f"{rate_set.source} rates of {rate_set.as_of}: {rate_set.rates.count()} currencies")
