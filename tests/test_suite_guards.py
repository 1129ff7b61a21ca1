"""The suite's own guard: a skip for want of the shared datasets fails when they are present."""

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
