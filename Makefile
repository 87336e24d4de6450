# edgenn: two commands do the whole set-up on a fresh machine with Python 3.11, g++ and make:
#   make demo   data -> train -> compress -> export (fpga + onnx) -> check for the jet MLP on a small dataset
#   make test   the default test suite (what CI runs)
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.edgenn-installed
export TF_CPP_MIN_LOG_LEVEL ?= 3

DEMO_JETS_PER_CLASS ?= 6000
BENCH_JETS_PER_CLASS ?= 20000

.PHONY: setup demo test bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@command -v g++ >/dev/null || { echo "error: g++ not found on PATH. Fix: install it (apt-get install g++); hls4ml's C simulation needs it."; exit 3; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=23.2"
	# --only-binary for pythia8mc: its 8.318.0 sdist compiles for > 10 minutes; the pinned 8.317.2 has a cp311 wheel
	$(BIN)/python -m pip install --quiet --only-binary=pythia8mc,fastjet,tensorflow -c constraints.txt -e ".[test,scan,rtl]"
	touch $(STAMP)

demo: setup
	$(BIN)/edgenn data generate jets --out data/jets --jets-per-class $(DEMO_JETS_PER_CLASS) --fast --seed 1
	$(BIN)/edgenn train models/jet_mlp.yml
	$(BIN)/edgenn compress runs/jet_mlp
	$(BIN)/edgenn export runs/jet_mlp --target onnx
	$(BIN)/edgenn export runs/jet_mlp --target fpga
	$(BIN)/edgenn check firmware/jet_mlp/fpga --budget firmware/budgets/jet_mlp.yml
	@echo "report: firmware/jet_mlp/fpga/report.html (also report.md beside it)"

# two workers, one test module per worker at a time (--dist loadfile): a module's fixtures (its trained run, its
# compiled C simulation) are still built once, and CI's 2-core machine runs the suite in about half the serial time
test: setup
	$(BIN)/ruff check edgenn tests benchmarks
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

bench: setup
	$(BIN)/python -m pytest -q -m slow
	BENCH_JETS_PER_CLASS=$(BENCH_JETS_PER_CLASS) bash benchmarks/run_all.sh

clean:
	rm -rf runs data/jets
	find firmware -mindepth 1 -maxdepth 1 -type d ! -name budgets -exec rm -rf {} +
