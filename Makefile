# qneuro: every target creates or reuses the local virtual environment itself.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.qneuro-installed

.PHONY: demo test lint bench clean

# torch first: `pip install torch==2.13.0` takes a local CPU wheel where one is provided
# (a plain `torch` requirement would pull a multi-GB CUDA build there); elsewhere it falls
# back to whatever torch the index serves. An existing torch is left alone.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install --quiet "torch==2.13.0" \
		|| $(PY) -m pip install --quiet "torch>=2.2"
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/qneuro demo

# Two pytest workers with one thread each: two workers that each start one thread per core
# oversubscribe a 2-core machine (small torch and BLAS calls then run several times slower).
# A test file runs on one worker, so a module's fixtures (a local Ray) start once.
test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $(PY) -m pytest -q -n 2 --dist loadfile

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: $(STAMP)
	$(PY) benchmarks/ptm_vs_aer.py

clean:
	rm -rf $(VENV) build *.egg-info
