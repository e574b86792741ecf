# The README's two commands: `make demo` (the main job) and `make test` (every test). Both create or refresh .venv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Without a GPU, torch comes first and pinned: that release's CPU build is what pip finds on these machines, and any
# looser spec pulls a multi-GB CUDA build. With a GPU (nvidia-smi present) pip picks the usual CUDA build.
TORCH  ?= torch==2.13.0
EXTRAS ?= dev,hf,train,serve,corpus

.PHONY: venv browser demo test sync-check nbtest pytest docs clean

venv: $(VENV)/.installed

$(VENV)/.installed: setup.py settings.ini csqa/_jsonl.c
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	if command -v nvidia-smi >/dev/null 2>&1; then $(BIN)/pip install -q "torch>=2.4"; \
	else $(BIN)/pip install -q "$(TORCH)"; fi
	$(BIN)/pip install -q -e ".[$(EXTRAS)]"
	touch $@

demo: venv
	$(BIN)/csqa demo

# The docs build comes before pytest, whose docs tests then check the site it built instead of building it again.
test: venv browser sync-check nbtest docs
	CSQA_DOCS_SITE=$(CURDIR)/_docs $(MAKE) --no-print-directory pytest

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
	$(BIN)/python -m pytest tests/ -q

clean:
	rm -rf $(VENV) build dist *.egg-info _proc _docs

# The docs site without Quarto: executes every notebook in a real Jupyter kernel and renders static HTML into _docs/.
# `make test` runs it too, so a notebook that breaks in JupyterLab breaks CI.
docs: venv
	$(BIN)/python scripts/build_docs.py
