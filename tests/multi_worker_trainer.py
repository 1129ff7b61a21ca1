"""One worker process of tests/test_multi_worker_contract.py's cluster (TF_CONFIG):

    python multi_worker_trainer.py OUT VARIANT [VARIANT ...]

trains each variant in turn under one MultiWorkerMirroredStrategy, as tests/test_contract.py's
single-replica run does (its tiny model, start weights and data), so one pair of processes pays
TensorFlow's start-up once for many variants. The chief writes OUT/<variant>.npz (start weights,
logged losses, trained weights) as soon as a variant is done, or OUT/<variant>.error with the
traceback.
"""

import json
import os
import sys
import traceback
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).parent))

import numpy as np  # noqa: E402

from test_contract import data, tiny  # noqa: E402
from tfgan_suite.distribute import make_strategy  # noqa: E402


def write_atomically(path, write):
    """`write(partial path)`, then renamed to `path`: the test never reads half a file."""
    partial = path.with_name(f".partial-{path.name}")
    write(partial)
    os.replace(partial, path)


def train(variant, strategy):
    """{start_i, weight_i, history/<name>} of one epoch of the contract's data."""
    start = tiny(variant).get_weights()  # the single-replica run's start (same seed)
    model = tiny(variant, strategy, start)
    history = model.fit(data(variant), verbose=0).history
    return {**{f"start_{i}": w for i, w in enumerate(start)},
            **{f"weight_{i}": w for i, w in enumerate(model.get_weights())},
            **{f"history/{name}": np.asarray(values) for name, values in history.items()}}


def main(out, variants):
    strategy = make_strategy("multi_worker")
    chief = json.loads(os.environ["TF_CONFIG"])["task"]["index"] == 0
    for variant in variants:
        try:
            result = train(variant, strategy)
        except Exception:  # noqa: BLE001  (reported to the test, which fails on it)
            if chief:
                write_atomically(out / f"{variant}.error",
                                 lambda path: path.write_text(traceback.format_exc()))
            continue
        if chief:
            # np.savez adds .npz to a name without it: the partial name keeps the suffix.
            write_atomically(out / f"{variant}.npz", lambda path: np.savez(path, **result))


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2:])
