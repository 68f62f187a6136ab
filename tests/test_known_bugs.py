"""The test suite catches every bug in the known-bug catalogue (``tests/known_bugs/``).

For each classic mistake of the field (a Gram divided by the wrong size, a ReLU after the residual
sum, swapped LSGAN targets, an undetached image pool, ...) this plants the bug in nstlib, runs the
few tests listed as its catchers in a nested pytest session, and asserts that one of them fails.
A catcher that is renamed or deleted does not count: pytest then reports "no tests ran" or a usage
error, not a failure.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from known_bugs.catalogue import BUGS

REPO = Path(__file__).resolve().parent.parent
# Quiet, and stop at the first failure. No per-test timeout inside: pytest-timeout's alarm would
# replace (and then cancel) the one guarding this outer test. No unraisable-exception plugin: at
# the end of each session it runs gc.collect() over torch's large object graph, which was 80% of
# a nested run's time.
NESTED_OPTIONS = (
    *("-q", "--tb=no", "--no-header", "-x", "-o", "timeout=0"),
    *("-p", "no:cacheprovider", "-p", "no:unraisableexception"),
)


def test_bug_names_are_unique():
    assert len({bug.name for bug in BUGS}) == len(BUGS)


@pytest.mark.parametrize("bug", BUGS, ids=[bug.name for bug in BUGS])
def test_the_suite_catches_the_planted_bug(bug, monkeypatch):
    monkeypatch.chdir(REPO)  # the catchers' node ids are relative to the repository root
    threads = torch.get_num_threads()
    with bug.plant():
        outcome = pytest.main([*bug.catchers, *NESTED_OPTIONS])
    torch.set_num_threads(threads)  # a catcher module may pin the thread count
    assert outcome == pytest.ExitCode.TESTS_FAILED, (
        f"planting {bug.name!r} ({bug.what}) left {', '.join(bug.catchers)} passing "
        f"(pytest exit code {outcome!r})"
    )


def test_the_readme_table_lists_every_bug():
    readme = (REPO / "README.md").read_text()
    section = readme.split("## The bugs our tests are proven to catch", 1)[1].split("\n## ", 1)[0]
    missing = [bug.what for bug in BUGS if f"| {bug.what} |" not in section]
    assert not missing, f"add these rows to the README's known-bug table: {missing}"
