# Two commands set everything up on a fresh machine: `make run` and `make test`.
VENV    ?= .venv
PY      := $(VENV)/bin/python
QA      := $(VENV)/bin/qa
SOURCES ?= seeds
PORT    ?= 7860
# Two installs, each with its stamp: what the chat needs, and that plus the LLM extra
# (llama.cpp built from source, minutes of compiling) for the tests.
STAMP      := $(VENV)/.installed-run
STAMP_FULL := $(VENV)/.installed-full
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON
export HF_HUB_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export GRADIO_ANALYTICS_ENABLED := False

.PHONY: install install-full run index chat test check lint eval eval-folders bench clean browser train-reader

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# CPU torch from local disk first: an unpinned torch would pull a multi-GB CUDA build.
	# Torch runs once, to export the embedding model to ONNX; questions never load it.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -c constraints.txt -e .
	touch $@

$(STAMP_FULL): $(STAMP)
	# llama.cpp built for AVX2, not -march=native: its AMX kernels crash on Q4_K models on
	# Sapphire Rapids CPUs (ggml-org/llama.cpp#20824). No cache, so no native wheel is reused.
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PY) -m pip install --quiet --no-cache-dir \
		-c constraints.txt 'llama-cpp-python[server]'
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev,llm]'
	touch $@

install: $(STAMP)

install-full: $(STAMP_FULL)

index: install
	$(QA) index $(SOURCES)

run: index
	$(QA) serve --sources $(SOURCES) --port $(PORT) --open

chat: install
	$(QA) chat --sources $(SOURCES)

# Debian's Chromium drives the browser tests; nothing downloads a browser of its own.
browser:
	command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium chromium-driver; }

test: install-full browser
	OMP_NUM_THREADS=1 $(PY) -m pytest

lint: install-full
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy qa index ui eval train

check: lint test

bench: install-full
	OMP_NUM_THREADS=1 $(PY) -m bench.core

# The seed gold set over seeds/, gated (whatever folder `make run SOURCES=…` last indexed);
# then the ten folders of eval/folders/, one table of them.
eval: install
	$(QA) eval --sources seeds

eval-folders: install
	$(PY) -m eval.sweep

# The reader (qa/models/reader/) from its recipe, train/recipe.toml: train its three stages
# (8,200 steps, on to 11,700 with on-topic negatives, on to 12,700 with document layouts and
# identifiers; resumable, checkpoints in .cache/reader-train/), export to int8 ONNX,
# calibrate the no-answer threshold, measure it on held-out articles.
SQUAD_DIR ?= ../shared/data/squad
train-reader: install-full
	$(PY) -m train recipe train/recipe.toml --squad-dir $(SQUAD_DIR)

clean:
	rm -rf .qa-index .pytest_cache .mypy_cache .ruff_cache
