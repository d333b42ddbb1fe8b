# neocloud: the two commands of the README.
#   make reports   renders every scenario x notebook to outputs/ (opens at outputs/index.html)
#   make test      runs every test (doctests, unit and property tests, nbval, browser tests)
# Both first install the locked stack (constraints.txt) into a local virtual environment, .venv/.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: reports test bench lab clean

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "neocloud needs Python 3.11 or newer; set PYTHON=python3.11 (or newer)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "pip==26.3"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[test,lab]"
	@# bytecode for the package, as pip writes it for the stack it installs (an editable install gets none;
	@# with PYTHONDONTWRITEBYTECODE set, every render, kernel and test process would compile it again)
	$(BIN)/python -m compileall -q neocloud > /dev/null
	@touch $(STAMP)

reports: $(STAMP)
	$(BIN)/neocloud render

# the tests spread over every core (pytest-xdist), a file's tests on one worker (a notebook's cells
# run in order in one kernel; a module's browser or JupyterLab starts once), the longest files first
# (tests/conftest.py HEAVIEST_FIRST; --no-loadscope-reorder keeps that order instead of xdist's, by
# number of tests); JOBS=0 runs them in one process. (--dist loadgroup would balance finer, but
# xdist 3.8 cannot tag pytest 9's node ids.)
JOBS ?= auto
test: $(STAMP)
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile --no-loadscope-reorder

bench: $(STAMP)
	$(BIN)/python -m neocloud.bench

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

clean:
	rm -rf $(VENV) outputs/*/ outputs/index.html outputs/.cache
