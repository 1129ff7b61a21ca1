"""The suite's own guards: a skip for want of the shared datasets fails when they are present,
`python benchmarks/<script>.py` imports the project's packages, not a benchmark of the same name,
`--dist loadgroup` really keeps an `xdist_group` on one worker (module fixtures and the
contract's cached runs rely on it), and every module with a module-scoped fixture is one group."""

import ast
from pathlib import Path

import pytest

from helpers import skip_for_want_of_present_data, unexpected_skip


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


def test_a_skip_for_another_reason_than_the_absent_tf_serving_binary_fails():
    message = unexpected_skip(skipped("cgan takes no `loss` option yet"))
    assert message and "a skip hides a check" in message
    assert unexpected_skip(skipped("tensorflow_model_server is not on PATH")) is None
    assert unexpected_skip(skipped("needs /x/shared/datasets/mnist: the archives are absent")) is None


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


def test_every_module_with_a_module_fixture_is_one_xdist_group():
    """A module-scoped fixture is built once per worker its module's tests land on: unless the
    module is one `xdist_group`, `--dist loadgroup` spreads its tests and builds it twice."""
    ungrouped = []
    for path in sorted(Path(__file__).parent.glob("test_*.py")):
        source = path.read_text()
        tree = ast.parse(source)
        wide_fixture = any(
            isinstance(node, ast.keyword) and node.arg == "scope"
            and isinstance(node.value, ast.Constant) and node.value.value in ("module", "session")
            for node in ast.walk(tree))
        marks = [ast.get_source_segment(source, node.value) for node in tree.body
                 if isinstance(node, ast.Assign)
                 and any(getattr(target, "id", None) == "pytestmark" for target in node.targets)]
        if wide_fixture and not any("xdist_group" in mark for mark in marks):
            ungrouped.append(path.name)
    assert not ungrouped, f"add pytestmark = pytest.mark.xdist_group(...) to {ungrouped}"


COLLECT_QUALITY_VARIANTS = """
import json, sys
import pytest
import tfgan_suite

class Variants:
    marked = set()

    def pytest_collection_modifyitems(self, items):
        self.marked |= {mark.kwargs["variant"] for item in items for mark in item.iter_markers("quality")}

plugin = Variants()
code = pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", "tests"],
                   plugins=[plugin])
print("QUALITY_VARIANTS " + json.dumps({"exit": int(code), "marked": sorted(plugin.marked),
                                         "registered": sorted(tfgan_suite.VARIANTS)}))
"""


def variants_without_quality_test(marked, registered):
    return sorted(set(registered) - set(marked))


@pytest.mark.slow  # collects the whole suite in a fresh process (imports TensorFlow): ~30-60 s
def test_every_registered_variant_has_a_quality_test():
    """Issue 29: each registered variant has a test marked quality(variant=<name>) that trains it
    on real data against a broken-on-purpose baseline. Read from pytest's own collection, so a
    marker built in a parametrize (test_conditional_mnist's `quality(variant=name)`) counts."""
    import json
    import subprocess
    import sys
    root = Path(__file__).resolve().parents[1]
    run = subprocess.run([sys.executable, "-c", COLLECT_QUALITY_VARIANTS], cwd=root,
                         capture_output=True, text=True, timeout=600)
    line = next((l for l in run.stdout.splitlines() if l.startswith("QUALITY_VARIANTS ")), None)
    assert line, run.stdout[-2000:] + run.stderr[-2000:]
    found = json.loads(line.split(" ", 1)[1])
    assert found["exit"] == 0, run.stdout[-2000:]
    registered = found["registered"]
    assert len(registered) >= 25 and "dcgan" in found["marked"]
    # The check itself: a variant whose only quality test is gone is named.
    assert variants_without_quality_test(set(found["marked"]) - {"dcgan"}, registered) == ["dcgan"]
    assert variants_without_quality_test(found["marked"], registered) == [], (
        "registered variants without a @pytest.mark.quality(variant=...) test")

