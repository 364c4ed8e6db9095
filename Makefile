# Two set-up commands: `make demo` and `make test` (README). Everything else builds on the venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test venv bench bench-full soak lint clean schemas golden

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

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

golden: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider --update-golden tests

# The figures of docs/performance.md (rewritten between its bench markers): about 15 minutes.
bench: $(STAMP)
	$(BIN)/python -m bench --sizes 1000,10000 --doc docs/performance.md

bench-full: $(STAMP)
	$(BIN)/python -m bench --sizes 1000,10000,50000

soak: $(STAMP)
	SCSYNC_SOAK_FULL=1 $(BIN)/python -m pytest -q -p no:cacheprovider tests/test_soak.py \
		tests/test_fuzz*.py tests/test_security*.py
	if $(BIN)/python -c 'import atheris' 2>/dev/null; then \
		mkdir -p tests/output/atheris && $(BIN)/python tests/fuzz_atheris.py -runs=20000 \
			-max_total_time=300 -artifact_prefix=tests/output/atheris/; \
	else echo 'atheris is not installed (pip install atheris): skipping tests/fuzz_atheris.py'; fi
	$(BIN)/python bench/soak.py --cycles 200

clean:
	rm -rf $(VENV) .scsync build *.egg-info
