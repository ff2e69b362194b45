# Two commands on a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export MONITOR_DB ?= sessions.db

.PHONY: run test setup assets browser clean lint audit

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade --quiet pip

# Reinstall when the project's declared dependencies change.
.stamp-install: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# Browser libraries from the npm registry, pinned by package-lock.json, copied to static/vendor.
.stamp-assets: package.json package-lock.json scripts/vendor-assets.sh
	npm ci --no-audit --no-fund --loglevel=error
	sh scripts/vendor-assets.sh
	touch $@

# Bytecode compiled ahead, as an installed package has it: an editable install does not, and with
# PYTHONDONTWRITEBYTECODE set every `monitor` command would compile its modules again.
setup: .stamp-install .stamp-assets
	$(BIN)/python -m compileall -q monitor

run: setup
	$(BIN)/monitor init-db
	@if [ "$${MONITOR_DEMO:-1}" != "0" ]; then $(BIN)/monitor demo; fi
	@echo "Serving on http://$${MONITOR_HOST:-127.0.0.1}:$${MONITOR_PORT:-5000}"
	$(BIN)/monitor serve

# lint-imports first: an upward import or an import cycle fails the suite before any test runs.
# Two workers (pytest-xdist), one per core: each has its own temporary files, servers and browser; the
# browser tests share one worker and each module stays whole (tests/conftest.py's xdist groups).
test: setup audit
	$(BIN)/lint-imports --no-logo
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup

# Known vulnerabilities in the installed packages (pip-audit; exceptions in docs/SECURITY.md).
audit: setup
	$(BIN)/python scripts/audit_dependencies.py

lint: setup
	$(BIN)/ruff check monitor tests bench
	$(BIN)/lint-imports --no-logo

clean:
	rm -rf $(VENV) node_modules static/vendor .stamp-*
