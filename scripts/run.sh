#!/usr/bin/env bash
# `make run`: the product with demo data on the embedded defaults (SQLite, in-memory channel layer,
# task worker beside the web server) at http://127.0.0.1:${PORT:-8000}.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-config.settings.dev}
export OKPAY_DEBUG=${OKPAY_DEBUG:-0}  # the product, not a debugger: custom error pages
# links in emails and pages (hreflang, password reset) point at the port actually served
export OKPAY_SITE_URL=${OKPAY_SITE_URL:-http://127.0.0.1:${PORT:-8000}}
okpay=(.venv/bin/okpay)
"${okpay[@]}" migrate --noinput -v 0
"${okpay[@]}" compilemessages -v 0 --ignore '.venv/*'  # before the demo: it sends translated emails
"${okpay[@]}" demo --if-empty --no-accounts  # `serve` lists the demo accounts beside the URL
"${okpay[@]}" collectstatic --noinput -v 0
exec "${okpay[@]}" serve --port "${PORT:-8000}"
