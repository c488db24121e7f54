# The two commands: `make run` (product with demo data) and `make test` (whole suite).
.PHONY: run test bootstrap lint format messages bench

run:
	scripts/run.sh

test:
	scripts/test.sh

bootstrap:
	scripts/bootstrap.sh --browser

lint:
	.venv/bin/ruff check .

format:
	.venv/bin/ruff format . && .venv/bin/ruff check --fix .

messages:
	.venv/bin/python scripts/i18n_sync.py
