from django.core.management.base import BaseCommand, CommandError

from okpay.wallet.ledger import ledger_verify


class Command(BaseCommand):
    help = "`okpay ledger verify`: recompute every balance from postings and check the invariants."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args, action, **options):
        problems = ledger_verify()
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} ledger invariant breach(es)")
        self.stdout.write(
            self.style.SUCCESS("ledger ok: every balance matches its postings, every entry balances")
        )
