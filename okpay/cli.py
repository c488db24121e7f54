"""`okpay` console script: `okpay serve|worker|demo|check` plus every Django management command."""

import os
import sys

ALIASES = {"check": "okpay_check"}  # `okpay check` is the sanity check; `okpay django-check` is Django's


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    if len(argv) > 1:
        if argv[1] == "django-check":
            argv[1] = "check"
        else:
            argv[1] = ALIASES.get(argv[1], argv[1])
    from django.core.management import execute_from_command_line

    execute_from_command_line(["okpay", *argv[1:]])


if __name__ == "__main__":
    main()
