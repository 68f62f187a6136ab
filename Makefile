# The course's two set-up commands are `make lab` and `make test`; both create .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

# Tests and CI run the lessons at the tiny `ci` size; `make lessons` re-executes them at `student` size.
export NSTLIB_PROFILE ?= student

.PHONY: lab student-lab test unit nbval lessons student lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e ".[dev,assets]"
	touch $(STAMP)

# Jupyter refuses to run as root (containers, Colab-like VMs) unless told it may.
LAB_ARGS ?= $(if $(filter 0,$(shell id -u)),--allow-root)

# The project's JupyterLab settings (lessons/.lab-settings/overrides.json): no news pop-up over the page, and
# the widget manager's "save widget state" left off. Saving it on would replace the stored state of
# a lesson that was opened and saved without being run (autosave does that) by the state of its
# live widgets, none; the lesson would then show "model not found" where its demos were.
LAB_SETTINGS := --LabApp.app_settings_dir="$(CURDIR)/lessons/.lab-settings"

lab: $(STAMP)  ## start JupyterLab on the lessons, showing their stored demos and plots
	@# JupyterLab draws stored widgets only in trusted notebooks; these are the course's own.
	$(BIN)/jupyter trust lessons/[0-9][0-9]_*.ipynb
	$(BIN)/jupyter lab lessons/ $(LAB_SETTINGS) $(LAB_ARGS)

student-lab: $(STAMP)  ## start JupyterLab on the student copies (`make student` writes them)
	@test -d student || { echo "No student/ yet: run 'make student' first." >&2; exit 2; }
	$(BIN)/jupyter lab student/ $(LAB_SETTINGS) $(LAB_ARGS)

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
