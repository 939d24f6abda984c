# make book  - build the HTML book, executing every notebook  (_build/html/index.html)
# make test  - reclib unit tests + nbval over every notebook in chapters/
# make lab   - JupyterLab on chapters/
# make data  - regenerate the committed ShopSim world under data/
# make bench - time and peak memory of each notebook
# Each target creates .venv from requirements.txt when it is missing or older.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export KERAS_BACKEND := tensorflow
export TF_CPP_MIN_LOG_LEVEL := 3
export PYTHONHASHSEED := 0

.PHONY: book test lab data bench clean

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

book: $(STAMP)
	$(BIN)/jupyter-book build . -W -n --keep-going

test: $(STAMP)
	$(BIN)/pytest tests chapters --nbval-lax --nbval-cell-timeout=600 -p no:cacheprovider

lab: $(STAMP)
	$(BIN)/jupyter lab chapters/

data: $(STAMP)
	$(BIN)/python -m reclib.data.make_data

bench: $(STAMP)
	$(BIN)/python -m reclib.bench

clean:
	rm -rf _build
