# Two set-up commands: `make demo` and `make test` (README). Everything else builds on the venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-random test-latest venv lock dist wheel-smoke bench bench-full soak lint clean schemas golden

# Every direct and transitive dependency of the development, test and CI environment, pinned with
# hashes (requirements/dev.txt, made by `make lock` with uv); pyproject.toml keeps ranges for users.
LOCK := requirements/dev.txt
RUNTIME_LOCK := requirements/runtime.txt
UV := uv==0.13.9

$(STAMP): $(LOCK) pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

venv: $(STAMP)

# Re-resolve both lock files from pyproject.toml's ranges (newest releases that fit).
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet '$(UV)'
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --universal \
		--python-version 3.11 --quiet -o $(LOCK)
	$(BIN)/uv pip compile pyproject.toml --generate-hashes --universal --python-version 3.11 \
		--constraint $(LOCK) --quiet -o $(RUNTIME_LOCK)

# The suite against the newest releases of every dependency, in a venv of its own: an upgrade is
# a deliberate, tested step (`make lock` once this passes), never a surprise in CI.
test-latest:
	rm -rf .venv-latest
	$(PYTHON) -m venv .venv-latest
	.venv-latest/bin/python -m pip install --quiet --upgrade pip
	.venv-latest/bin/python -m pip install --quiet --upgrade -e '.[dev]'
	.venv-latest/bin/python -m pip list --format=freeze > .venv-latest/versions.txt
	.venv-latest/bin/python -m pytest -q -p no:cacheprovider

# The suite once more in a shuffled order (its seed is printed: --random-order-seed=N repeats it).
test-random: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider --random-order

# A wheel and an sdist in dist/, checked by twine.
dist: $(STAMP)
	rm -rf dist
	$(BIN)/python -m build --no-isolation --outdir dist .
	$(BIN)/python -m twine check --strict dist/*

# The built wheel in a fresh venv outside the checkout (its dependencies from the runtime lock):
# --version, validate and a plan of the example config prove that every package file ships.
SMOKE := $(shell mktemp -d -u /tmp/scsync-wheel.XXXXXX)
wheel-smoke: dist
	$(PYTHON) -m venv $(SMOKE)/venv
	$(SMOKE)/venv/bin/python -m pip install --quiet --require-hashes -r $(RUNTIME_LOCK)
	$(SMOKE)/venv/bin/python -m pip install --quiet --no-deps dist/*.whl
	cp -R examples $(SMOKE)/examples
	rm -rf $(SMOKE)/examples/config/.scsync
	cd $(SMOKE) && venv/bin/scsync --version
	cd $(SMOKE) && venv/bin/scsync validate -C examples/config
	cd $(SMOKE) && venv/bin/scsync doctor -C examples/config
	cd $(SMOKE) && venv/bin/scsync plan -C examples/config --detailed-exitcode; \
		test $$? -eq 2 || { echo "wheel smoke test: the example plan did not exit 2"; exit 1; }
	rm -rf $(SMOKE)

# The demo: a fresh emulated ClaraLines account (examples/platform), the example config planned,
# applied, and planned again (No changes).
DEMO := examples/config
demo: $(STAMP)
	rm -rf $(DEMO)/.scsync
	$(BIN)/scsync validate -C $(DEMO)
	$(BIN)/scsync plan -C $(DEMO)
	$(BIN)/scsync apply -C $(DEMO) --auto-approve
	$(BIN)/scsync plan -C $(DEMO) --detailed-exitcode

test: $(STAMP)
	$(BIN)/ruff check scsync tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check scsync tests bench
	$(BIN)/mypy

schemas: $(STAMP)
	$(BIN)/scsync schema > schemas/scsync.schema.json
	$(BIN)/python -m scsync.plan.model > schemas/plan.schema.json
	$(BIN)/python -m scsync.ops.diagnostics > schemas/validate.schema.json

golden: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider --update-golden tests

# The figures of docs/performance.md (rewritten between its bench markers): about 15 minutes.
bench: $(STAMP)
	$(BIN)/python -m bench --sizes 1000,10000 --doc docs/performance.md

bench-full: $(STAMP)
	$(BIN)/python -m bench --sizes 1000,10000,50000

soak: $(STAMP)
	SCSYNC_SOAK_FULL=1 $(BIN)/python -m pytest -q -p no:cacheprovider tests/test_soak.py \
		tests/test_fuzz*.py tests/test_security*.py tests/test_apply_contract.py \
		tests/test_plan_contract_property.py tests/test_rules_differential.py tests/test_openapi.py
	if $(BIN)/python -c 'import atheris' 2>/dev/null; then \
		mkdir -p tests/output/atheris && $(BIN)/python tests/fuzz_atheris.py -runs=20000 \
			-max_total_time=300 -artifact_prefix=tests/output/atheris/; \
	else echo 'atheris is not installed (pip install atheris): skipping tests/fuzz_atheris.py'; fi
	$(BIN)/python bench/soak.py --cycles 200

clean:
	rm -rf $(VENV) .venv-latest .scsync build dist *.egg-info
