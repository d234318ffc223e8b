# Every target does its own set-up: a fresh clone needs only python3 (>= 3.11), Node.js and npm.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_VERSION_CHECK := 1

.PHONY: demo test lint bench setup

# The main job: synthesize the example app, deploy it locally against the emulator, destroy it.
demo: setup
	$(BIN)/python -m lookoutvision_localcloud demo

# Everything CI runs: lint, type-check and the test suite.
test: setup lint
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: setup
	$(BIN)/python -m bench

setup: $(VENV)/.installed node_modules/.installed

# The packages are installed under other names than their folders' (pyproject.toml's package-dir), as a
# strict editable install: a tree of links to each file, on a plain path entry, which mypy follows too. A file
# added, removed or renamed needs the install again: the list of the packages' files is part of the stamp.
PACKAGE_FILES := $(sort $(shell find cdk_app provider localcloud -type f ! -path '*/__pycache__/*' 2>/dev/null))

$(VENV)/.package-files: FORCE
	@mkdir -p $(VENV)
	@echo '$(PACKAGE_FILES)' | tr ' ' '\n' | cmp -s - $@ || (echo '$(PACKAGE_FILES)' | tr ' ' '\n' > $@)

$(VENV)/.installed: pyproject.toml $(VENV)/.package-files
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]' --config-settings editable_mode=strict
	touch $@

.PHONY: FORCE

# package.json and package-lock.json link to localcloud/pinned_cdk_cli/: the one pin, which the package ships too.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@
