# The course's two set-up commands are `make lab` and `make test`; both create .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

# Tests and CI run the lessons at the tiny `ci` size; `make lessons` re-executes them at `student` size.
export NSTLIB_PROFILE ?= student

.PHONY: lab test unit nbval lessons student lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e ".[dev,assets]"
	touch $(STAMP)

# Jupyter refuses to run as root (containers, Colab-like VMs) unless told it may.
LAB_ARGS ?= $(if $(filter 0,$(shell id -u)),--allow-root)

lab: $(STAMP)  ## start JupyterLab on the lessons
	$(BIN)/jupyter lab lessons/ $(LAB_ARGS)

test: $(STAMP)  ## the whole suite: lint, unit tests, then every lesson under nbval (ci profile)
	$(BIN)/ruff check nstlib tests lessons/course.py
	$(BIN)/python -m pytest tests
	NSTLIB_PROFILE=ci $(BIN)/python -m pytest --nbval-lax --nbval-current-env \
		--nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider lessons/

lessons: $(STAMP)  ## re-execute every lesson in a fresh kernel and store its outputs
	$(BIN)/python lessons/course.py execute

student: $(STAMP)  ## write student copies (solutions removed, outputs cleared) to student/
	$(BIN)/python lessons/course.py student-copies

lint: $(STAMP)
	$(BIN)/ruff check nstlib tests lessons/course.py
	$(BIN)/ruff format --check nstlib tests lessons/course.py

clean:
	rm -rf $(VENV) student
