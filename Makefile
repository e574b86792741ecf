# The README's two commands: `make demo` (the main job) and `make test` (every test). Both create or refresh .venv.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
EXTRAS ?= dev,hf,train,serve,corpus
# The tested version set (scripts/constraints.py writes it from an environment that passed): CI's CPU set, or the GPU
# set where nvidia-smi is present. Both pin torch 2.13.0: without a GPU pip takes that release's CPU build from this
# machine's disk, first, before anything can ask for a multi-GB CUDA build; with one, pip's usual CUDA build of it.
# `make upgrade-check` empties CONSTRAINTS to try the newest releases.
CONSTRAINTS ?= $(if $(shell command -v nvidia-smi 2>/dev/null),constraints/gpu.txt,constraints/cpu.txt)
PIN := $(if $(CONSTRAINTS),-c $(CONSTRAINTS))
# Python's default: bytecode cached as modules are first imported. Where PYTHONDONTWRITEBYTECODE is set, each of the
# hundreds of processes a test run starts compiles csqa's sources again (measured: the CLI tests 24.9 → 23.1 CPU-s).
unexport PYTHONDONTWRITEBYTECODE

.PHONY: venv browser demo test test-steps test-fast sync-check nbtest pytest docs clean constraints versions upgrade-check

venv: $(VENV)/.installed

$(VENV)/.installed: setup.py settings.ini csqa/_jsonl.c $(CONSTRAINTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade "pip>=24"
	$(BIN)/pip install -q $(PIN) "torch$(if $(CONSTRAINTS),,==2.13.0)"
	$(BIN)/pip install -q $(PIN) -e ".[$(EXTRAS)]"
	$(BIN)/pip check
	touch $@

demo: venv
	$(BIN)/csqa demo

test: venv browser
	@start=$$(date +%s); $(MAKE) --no-print-directory test-steps || exit 1; \
	echo "make test: every test passed in $$(( $$(date +%s) - start )) s after set-up"

# Each notebook runs once: the docs build executes every one in a real Jupyter kernel (as JupyterLab does), skips the
# cells flagged with tst_flags as nbdev_test does, and fails on any error; its log goes to $(DOCS_LOG). Then pytest.
# On two cores (measured on fresh clones, one OpenMP thread a process): the docs build took 208-223 s with two kernels
# and 196 s with three. pytest took 645 s with two workers, 574 s with three and 632 s with four while the Ray tests
# ran on Ray Data (the worker holding them was the longest); with the Ray stages as plain tasks, 535-557 s with three
# and 528 s with two (486 s on a rerun with bytecode already cached): two is as fast, with one busy process a core.
# Not side by side: four busy streams slowed both
# (882 s for pytest) and made Ray miss its own fixed 30 s start-up wait. The built site's tests read $(DOCS_STATUS).
DOCS_LOG := build/docs-build.log
DOCS_STATUS := build/docs-build.status
DOCS_WORKERS ?= 3
PYTEST_WORKERS ?= 2
PYTEST := $(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist loadgroup
test-steps: sync-check
	@mkdir -p build; rm -f $(DOCS_STATUS); \
	echo "docs build: every notebook in a real kernel (log: $(DOCS_LOG))"; \
	$(BIN)/python scripts/build_docs.py --workers $(DOCS_WORKERS) > $(DOCS_LOG) 2>&1; built=$$?; echo $$built > $(DOCS_STATUS); \
	grep -E '^FAILED|page\(s\) built' $(DOCS_LOG); \
	if [ "$$built" != 0 ]; then echo "docs build failed (exit $$built); the end of $(DOCS_LOG):"; tail -40 $(DOCS_LOG); exit 1; fi; \
	CSQA_DOCS_SITE=$(CURDIR)/_docs CSQA_DOCS_WAIT=$(CURDIR)/$(DOCS_STATUS) $(PYTEST) tests/ --durations=15

# Debian's Chromium for the browser tests (Playwright drives it; it never downloads a browser). Installed only where
# missing and where apt-get runs as root; elsewhere those tests skip and say why.
browser:
	@command -v chromium >/dev/null 2>&1 || { command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && \
	  apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null; } || \
	  echo "chromium is not installed: the browser tests will skip"

# nbs/ is the source of truth: cleaning and exporting it must not change anything that git sees.
sync-check: venv
	@before="$$(git status --porcelain; git diff | sha1sum)"; \
	$(BIN)/nbdev_clean && $(BIN)/nbdev_export; \
	after="$$(git status --porcelain; git diff | sha1sum)"; \
	if [ "$$before" != "$$after" ]; then echo "sync check failed: nbdev_clean/nbdev_export changed files:"; \
	git status --porcelain; exit 1; fi; echo "sync check: notebooks and csqa/ agree"

nbtest: venv
	$(BIN)/nbdev_test --n_workers 2

pytest: venv
	$(PYTEST) tests/ --durations=15

# The fast part alone, for a developer between changes: the notebooks' own tests and pytest without the tests marked
# slow (servers, training, browsers, Ray, the sanitizer fuzz).
test-fast: venv sync-check nbtest
	$(PYTEST) tests/ -m "not slow" --durations=15

# Does this environment hold the tested set? (tests/test_versions.py checks the same.)
versions: venv
	$(BIN)/python scripts/constraints.py check

# After `make test` passed: pin this environment as the tested sets (constraints/cpu.txt, constraints/gpu.txt).
constraints: venv
	$(BIN)/python scripts/constraints.py write

# Moving forward on purpose: the newest releases the requirements allow, in a scratch venv, through every test; where
# they pass, `make upgrade-check PIN_NEW=1` also writes them as the new tested set (review the diff, then commit).
upgrade-check:
	rm -rf .venv-upgrade
	$(MAKE) --no-print-directory test VENV=.venv-upgrade CONSTRAINTS=
	$(if $(PIN_NEW),.venv-upgrade/bin/python scripts/constraints.py write && git diff --stat constraints/)

clean:
	rm -rf $(VENV) build dist *.egg-info _proc _docs

# The docs site without Quarto: executes every notebook in a real Jupyter kernel and renders static HTML into _docs/.
# `make test` runs it too, so a notebook that breaks in JupyterLab breaks CI.
docs: venv
	$(BIN)/python scripts/build_docs.py
