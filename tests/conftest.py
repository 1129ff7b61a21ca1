"""Test set-up: two logical CPU devices, so MirroredStrategy has 2 replicas on a CPU-only machine
(this must run before TensorFlow initialises its devices, hence at conftest import); a test that
skips for want of the shared datasets fails when they are present, and so does any skip but
the absent TF Serving binary's; more than the expected skips fail the run; a `quality` marker
must name a registered variant (setup.cfg says how).
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import pytest  # noqa: E402

from helpers import MAX_SKIPS, skip_for_want_of_present_data, unexpected_skip  # noqa: E402
from tfgan_suite.distribute import split_cpu  # noqa: E402

TWO_CPUS = split_cpu(2)


@pytest.fixture
def two_replicas():
    from tfgan_suite.distribute import make_strategy

    return make_strategy("mirrored", TWO_CPUS)


@pytest.fixture(autouse=True)
def _fresh_keras_state():
    # Without clear_session's full garbage collection: with a worker's ~500k live objects (TF
    # graphs) it costs 0.5-1.5 s a test, most of a quick test's time; Python's own collector
    # still frees the models a test leaves behind.
    keras.utils.clear_session(free_memory=False)
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A test that skips for want of the shared datasets fails when they are there, and so does
    any skip but the absent TF Serving binary's."""
    report = (yield).get_result()
    failure = skip_for_want_of_present_data(report) or unexpected_skip(report)
    if failure:
        report.outcome, report.longrepr = "failed", failure


def pytest_collection_modifyitems(config, items):
    """A `quality` marker without `variant=` or naming no registered variant is a collection
    error: tests/test_suite_guards.py counts the quality tests by that name."""
    from tfgan_suite import VARIANTS

    for item in items:
        for marker in item.iter_markers("quality"):
            variant = marker.kwargs.get("variant")
            if variant not in VARIANTS or marker.args or len(marker.kwargs) != 1:
                raise pytest.UsageError(
                    f"{item.nodeid}: write @pytest.mark.quality(variant=NAME) with NAME one of "
                    f"{', '.join(sorted(VARIANTS))} (got args {marker.args}, kwargs {marker.kwargs})")


def pytest_sessionfinish(session, exitstatus):
    """More skips than the known real-TF-Serving ones fail the run (on the controller only)."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if hasattr(session.config, "workerinput") or reporter is None:
        return
    skipped = len(reporter.stats.get("skipped", []))
    if skipped > MAX_SKIPS:
        reporter.write_line(f"error: {skipped} tests skipped, more than the {MAX_SKIPS} expected "
                            "(tests/helpers.py MAX_SKIPS)", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
