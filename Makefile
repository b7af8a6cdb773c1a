# Volgende Deur: `make run` serves the CRM with demo data, `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
AXE_VERSION := 4.11.4
AXE := tests/node_modules/axe-core/axe.min.js

.PHONY: run test install install-test translations bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed translations
install-test: $(VENV)/.installed-test translations $(AXE)

translations: $(VENV)/.installed
	$(BIN)/pybabel compile -d crm/translations

$(AXE):
	npm install --silent --no-save --no-audit --no-fund --prefix tests axe-core@$(AXE_VERSION)

run: install
	$(FLASK) db upgrade
	$(FLASK) crm seed-demo --if-empty
	$(FLASK) crm demo-logins
	$(BIN)/gunicorn --bind 127.0.0.1:5000 --workers 2 wsgi:app

test: install-test
	$(BIN)/python -m pytest

bench: install-test
	$(BIN)/python -m bench.search

clean:
	rm -rf $(VENV) tests/node_modules
