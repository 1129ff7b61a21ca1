"""The suite's own guards: a skip for want of the shared datasets fails when they are present,
`python benchmarks/<script>.py` imports the project's packages, not a benchmark of the same name,
and `--dist loadgroup` really keeps an `xdist_group` on one worker (module fixtures and the
contract's cached runs rely on it)."""

from pathlib import Path

import pytest

from helpers import skip_for_want_of_present_data


def skipped(reason):
    return pytest.TestReport("tests/test_x.py::test_x", ("tests/test_x.py", 1, "test_x"), {},
                             "skipped", ("tests/test_x.py", 1, f"Skipped: {reason}"), "setup")


def test_a_skip_for_want_of_present_shared_datasets_fails(tmp_path):
    present = tmp_path / "shared" / "datasets"
    present.mkdir(parents=True)
    for_want_of_data = skipped(f"needs {present / 'mnist'}: the original mnist archives are absent")
    message = skip_for_want_of_present_data(for_want_of_data, present)
    assert message and f"although {present} is present" in message
    # Absent datasets: the skip stands; other skips and other outcomes are not touched.
    assert skip_for_want_of_present_data(for_want_of_data, tmp_path / "absent") is None
    assert skip_for_want_of_present_data(skipped("tensorflow_model_server is not on PATH"), present) is None
    passed = pytest.TestReport("tests/test_x.py::test_x", ("tests/test_x.py", 1, "test_x"), {},
                               "passed", None, "call")
    assert skip_for_want_of_present_data(passed, present) is None


def test_no_benchmark_script_shadows_a_package():
    """`python benchmarks/x.py` puts benchmarks/ first on sys.path: a benchmarks/serving.py would
    be imported for the `serving` package (tfgan_suite imports serving.errors)."""
    root = Path(__file__).resolve().parents[1]
    packages = {path.parent.name for path in root.glob("*/__init__.py")}
    scripts = {path.stem for path in (root / "benchmarks").glob("*.py")}
    assert {"serving", "export", "tfgan_suite"} <= packages
    assert not scripts & packages, f"rename benchmarks/{sorted(scripts & packages)}.py"


@pytest.mark.xdist_group("suite_guards")
def test_loadgroup_marks_the_node_id_with_its_group(request):
    """xdist groups by a suffix it adds to node ids; pytest 9.2 drops it and every group is then
    split across workers without a word (pytest-dev/pytest-xdist#1386; setup.cfg pins pytest)."""
    if getattr(request.config.option, "loadgroup", False):  # a worker of `-n N --dist loadgroup`
        assert request.node.nodeid.endswith("@suite_guards"), request.node.nodeid
