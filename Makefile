# `make demo` and `make test` set everything up themselves: system packages, a virtual
# environment in .venv, and polyreg installed into it.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: setup demo lint test bench proofs clean

setup: $(STAMP)

$(STAMP): pyproject.toml .ci/system-packages
	bash .ci/system-packages
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

demo: setup
	$(VENV)/bin/polyreg count examples/relu_2x8x8.json --box -1 1
	$(VENV)/bin/polyreg compile examples/maxout_2x3x3.json --box -1 1 -o build/transformer.json
	$(VENV)/bin/polyreg certify examples/maxout_2x3x3.json build/transformer.json --box -1 1 --json > build/certify.json
	cat build/certify.json

lint: setup
	$(VENV)/bin/ruff check polyreg polyreg_check
	$(VENV)/bin/mypy

test: lint
	$(PY) -m pytest -q

bench: setup
	$(PY) examples/benchmark.py

proofs: setup
	$(PY) proofs/build.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
