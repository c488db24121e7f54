from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from okpay.core.health import check_cache, check_channel_layer, check_database, check_worker


class Command(BaseCommand):
    help = (
        "Configuration sanity: Django's system checks, then database, migrations, cache, channel layer "
        "and worker."
    )

    def handle(self, *args, **options):
        call_command("check", deploy=not settings.DEBUG and not settings.DEMO_MODE, fail_level="ERROR")
        problems = []
        rows = [
            ("settings", settings.SETTINGS_MODULE, True),
            ("site URL", settings.SITE_URL, True),
            ("demo mode", "on" if settings.DEMO_MODE else "off", True),
        ]
        database = check_database()
        rows.append(("database", database.get("vendor") or database.get("error"), database["ok"]))
        if database["ok"]:
            executor = MigrationExecutor(connection)
            pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
            rows.append(("migrations", f"{len(pending)} pending" if pending else "up to date", not pending))
        for name, result in (("cache", check_cache()), ("channel layer", check_channel_layer())):
            rows.append((name, result.get("backend") or result.get("error"), result["ok"]))
        worker = check_worker()
        rows.append(
            (
                "task worker",
                f"{worker.get('workers', 0)} alive" if worker["ok"] else worker.get("error"),
                worker["ok"],
            )
        )
        for name, value, ok in rows:
            mark = self.style.SUCCESS("ok  ") if ok else self.style.ERROR("FAIL")
            self.stdout.write(f"{mark} {name:<14} {value}")
            if not ok and name != "task worker":
                problems.append(name)
        if not worker["ok"]:
            self.stdout.write(
                "     (start one with `okpay worker`, or `okpay serve` in the embedded default)"
            )
        if problems:
            raise CommandError("configuration problems: " + ", ".join(problems))
