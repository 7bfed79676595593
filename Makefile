.PHONY: run test lint screenshots bench

run:  ## set up everything and start web + worker on 127.0.0.1:8000
	scripts/run.sh

test:  ## set up the test environment and run the whole suite
	scripts/test.sh

lint:  ## ruff lint and format check
	scripts/bootstrap.sh requirements-dev.txt && .venv/bin/ruff check . && .venv/bin/ruff format --check .

screenshots:  ## refresh docs/screenshots from the browser tests
	SCREENSHOTS_DIR=docs/screenshots scripts/test.sh tests/browser

bench:  ## the benchmarks (bench/) against same-run baselines on PostgreSQL: one table, ~16 min
	scripts/bench.sh
