"""environment.yml must stay a valid conda file that installs the same thing as `make lab`.

Conda is not installed on the project's machines, so the file is checked offline against conda's
environment-file rules (CEP 24) and against pyproject.toml and the Makefile.
"""

import re
from pathlib import Path

import tomllib
import yaml

REPO = Path(__file__).resolve().parent.parent
ALLOWED_TOP = {"name", "prefix", "channels", "dependencies", "variables", "platforms", "category"}
CONDA_SPEC = re.compile(r"^(?:[\w.-]+::)?[A-Za-z0-9_.-]+(?:\s*[<>=!~]=?\s*[\w.*,<>=!|+-]+)?$")


def load_env() -> dict:
    return yaml.safe_load((REPO / "environment.yml").read_text())


def test_top_level_keys_and_name_follow_conda_rules():
    env = load_env()
    assert set(env) <= ALLOWED_TOP
    assert re.fullmatch(r"[^/ :#]+", env["name"])


def test_conda_dependencies_are_valid_specs_and_include_pip():
    deps = load_env()["dependencies"]
    conda_specs = [d for d in deps if isinstance(d, str)]
    assert all(CONDA_SPEC.match(d) for d in conda_specs), conda_specs
    assert "pip" in conda_specs


def test_python_version_is_one_pyproject_supports():
    deps = load_env()["dependencies"]
    python = next(d for d in deps if isinstance(d, str) and d.startswith("python"))
    minor = int(python.split("=")[-1].split(".")[1])
    requires = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    low, high = re.findall(r"3\.(\d+)", requires)
    assert int(low) <= minor < int(high)


def test_pip_section_installs_the_project_with_the_extras_make_installs():
    pip_items = next(d["pip"] for d in load_env()["dependencies"] if isinstance(d, dict))
    editable = [item for item in pip_items if item.startswith("-e")]
    assert len(editable) == 1
    env_extras = set(re.search(r"\[(.*)\]", editable[0]).group(1).split(","))
    make_extras = set(
        re.search(r'pip install -e "\.\[(.*)\]"', (REPO / "Makefile").read_text())
        .group(1)
        .split(",")
    )
    declared = set(
        tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    )
    assert env_extras == make_extras
    assert env_extras <= declared
