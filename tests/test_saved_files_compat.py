"""`.keras` files saved by the release before the package re-layout (tfgan_suite f448d58) still
load with the code of today and give exactly the outputs they gave then.

tests/fixtures/premove holds one tiny trained model of each template family (latent: dcgan;
conditional: cgan; StyleGAN with its EMA generator, truncation and style mixing; image-to-image:
cyclegan; image-in: srgan's upscale and ganomaly's anomaly scores), `expected.npz` (the inputs
and the outputs of each model's public methods when it was saved) and `manifest.json` (per model:
file, the calls, their output keys). tests/fixtures/premove/make_fixtures.py made them with the
old code; never regenerate them with newer code, which would defeat the test.

Only `import tfgan_suite`, `keras.models.load_model` and the models' public methods: nothing here
depends on where the classes live inside the package, which is what the re-layout changes.
"""

import functools
import hashlib
import json
from pathlib import Path

import keras
import numpy as np
import pytest

import tfgan_suite

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "premove"
MANIFEST = json.loads((FIXTURES / "manifest.json").read_text())
RTOL, ATOL = 1e-5, 1e-6


@functools.cache
def expected():
    with np.load(FIXTURES / MANIFEST["expected"]) as arrays:
        return dict(arrays)


def call(model, spec):
    """`model.<method>(*args, **kwargs)` as the manifest records it; an argument {"array": key}
    is the input stored under `key` in expected.npz."""
    value = lambda a: expected()[a["array"]] if isinstance(a, dict) and "array" in a else a
    return np.asarray(getattr(model, spec["method"])(*[value(a) for a in spec["args"]],
                                                     **{k: value(v) for k, v in spec["kwargs"].items()}))


def test_the_manifest_lists_one_model_of_each_template_family():
    assert MANIFEST["tfgan_suite_commit"] == "f448d58"
    assert set(MANIFEST["variants"]) == {"dcgan", "cgan", "stylegan", "cyclegan", "srgan",
                                         "ganomaly"}


@pytest.mark.parametrize("variant", sorted(MANIFEST["variants"]))
def test_a_file_saved_before_the_move_loads_and_gives_the_same_outputs(variant):
    entry = MANIFEST["variants"][variant]
    path = FIXTURES / entry["file"]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"], (
        f"{path} is not the file saved by tfgan_suite {MANIFEST['tfgan_suite_commit']}")

    model = keras.models.load_model(path)

    assert isinstance(model, tfgan_suite.get_variant(variant)) and model.variant == variant
    # The compile config (every player's optimizer, CycleGAN's learning-rate schedule) and the
    # optimizers' state came back: the step count is the one the file was saved at.
    assert {name: type(o).__name__ for name, o in model.optimizers.items()} == (
        entry["compile"]["optimizers"])
    assert int(model.steps_taken) == entry["training"]["steps"]
    for spec in entry["calls"]:
        got = call(model, spec)
        want = expected()[spec["output"]]
        assert got.shape == want.shape and got.dtype == want.dtype, (
            spec["output"], got.shape, got.dtype)
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL,
                                   err_msg=f"{variant}.{spec['method']} -> {spec['output']}")
