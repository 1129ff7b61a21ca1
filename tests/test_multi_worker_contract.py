"""Every registered variant trains under MultiWorkerMirroredStrategy, 2 worker processes on one
host, to the same logged losses and trained weights as tests/test_contract.py's single-replica run
(same seed, start weights and global batch): the multi-worker side of its 1 vs 2 replica parity.

One pair of worker processes (tests/multi_worker_trainer.py) trains every selected variant in
turn, started once for the module, while the tests compute the single-replica runs beside it:
TensorFlow's start-up and the cluster's set-up are paid once, not per variant. The quick
selection (`-m "not slow"`) takes one variant per batch structure; the full run all of them."""

import sys

import numpy as np
import pytest

import tfgan_suite
from multi_worker import Cluster
from test_contract import assert_same_training, trained

# One variant per batch structure, the cheapest to trace of each: images; (images, labels);
# (domain A, domain B); an image-in model's images.
QUICK = {"dcgan", "cgan", "pix2pix", "ganomaly"}
# A variant's training is traced in each worker beside the test's own run: 10-60 s on 2 cores.
WAIT_PER_VARIANT = 240

pytestmark = pytest.mark.xdist_group("multi_worker_contract")


@pytest.fixture(scope="module")
def cluster(request, tmp_path_factory):
    """The worker pair, training the variants this session selected from this module, in order."""
    variants = [item.callspec.params["variant"] for item in request.session.items
                if item.module is request.module]
    out = tmp_path_factory.mktemp("multi_worker_contract")
    command = [sys.executable, str(request.path.parent / "multi_worker_trainer.py"), str(out),
               *variants]
    with Cluster([command, command], out) as workers:
        workers.out = out
        yield workers


@pytest.mark.timeout(WAIT_PER_VARIANT + 60)
@pytest.mark.parametrize("variant", [
    pytest.param(variant, marks=[] if variant in QUICK else [pytest.mark.slow])
    for variant in sorted(tfgan_suite.VARIANTS)])
def test_two_worker_processes_agree_with_one_replica(variant, cluster):
    single_start = trained(variant)[1]
    found = cluster.wait_for_file(cluster.out / f"{variant}.npz", cluster.out / f"{variant}.error",
                                  timeout=WAIT_PER_VARIANT)
    assert found is not None, f"no result for {variant}:\n{cluster.logs()}"
    assert found.suffix == ".npz", f"{variant} failed on the workers:\n{found.read_text()[-4000:]}"
    result = np.load(found)
    numbered = lambda prefix: [result[f"{prefix}_{i}"] for i in range(
        sum(key.startswith(f"{prefix}_") for key in result.files))]
    # The workers start where the single-replica run starts: the comparison means something.
    assert len(numbered("start")) == len(single_start)
    for worker_start, start in zip(numbered("start"), single_start):
        np.testing.assert_array_equal(worker_start, start)
    history = {key.removeprefix("history/"): result[key] for key in result.files
               if key.startswith("history/")}
    assert_same_training(variant, history, numbered("weight"))
