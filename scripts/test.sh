#!/usr/bin/env bash
# `make test`: lint, type check (mypy), migration and translation checks, the production deploy check,
# then the whole test suite — on PostgreSQL + Redis when DATABASE_URL / REDIS_URL are set (plus a
# SQLite smoke pass for the embedded default), on SQLite otherwise. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --browser
export DJANGO_SETTINGS_MODULE=config.settings.test
bin=.venv/bin

if [ ! -x /usr/bin/chromium ]; then
  if [ "${CI:-}" = "true" ]; then echo "error: Chromium is missing under CI=true (apt-get install chromium)" >&2; exit 1; fi
  echo "note: /usr/bin/chromium not found; browser tests will be skipped (run as root to install it)"
fi

echo "» ruff"
"$bin/ruff" check .
"$bin/ruff" format --check . >/dev/null || { "$bin/ruff" format --check .; exit 1; }
echo "» import layers (lint-imports; scripts/app_graph.py draws the graph)"
"$bin/lint-imports" --no-cache >/dev/null || "$bin/lint-imports" --no-cache
"$bin/python" scripts/app_graph.py >/dev/null || "$bin/python" scripts/app_graph.py
echo "» mypy"
"$bin/mypy"
echo "» makemigrations --check"
"$bin/python" manage.py makemigrations --check --dry-run >/dev/null
echo "» compilemessages"
"$bin/python" manage.py compilemessages -v 0 --ignore '.venv/*'
echo "» check --deploy (production settings)"
DJANGO_SETTINGS_MODULE=config.settings.prod OKPAY_SECRET_KEY="ci-$(head -c 48 /dev/urandom | base64 | tr -d '/+=')" \
  OKPAY_ALLOWED_HOSTS=support.okpay.example OKPAY_SITE_URL=https://support.okpay.example OKPAY_VAR_DIR="$(mktemp -d)" \
  "$bin/python" manage.py check --deploy --fail-level WARNING

if [ -n "${DATABASE_URL:-}" ]; then
  echo "» pytest smoke pass on SQLite (embedded default)"
  env -u DATABASE_URL -u REDIS_URL "$bin/pytest" -q -p no:cacheprovider -n 2 --dist loadfile -m "smoke" "$@"
  echo "» pytest on ${DATABASE_URL%%://*} + ${REDIS_URL:+redis}"
fi
# two workers (pytest-xdist), a test file per worker at a time: each has its own test database, cache
# prefix and Chromium; `scripts/test.sh -n 0` runs in one process
exec "$bin/pytest" -p no:cacheprovider -n 2 --dist loadfile "$@"
