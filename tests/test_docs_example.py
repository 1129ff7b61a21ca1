"""docs/architecture.md's "Add a variant" example runs as written: it registers a variant, builds
it, trains two steps with `fit`, samples and checks the images. The variant is unregistered
afterwards, so the contract tests over the registry never see it."""

import re
from pathlib import Path

import keras

import tfgan_suite
from tfgan_suite.core import LatentGAN
from tfgan_suite.core.registry import VARIANTS

ARCHITECTURE = Path(__file__).resolve().parents[1] / "docs" / "architecture.md"
MARKER = "<!-- tested: add-a-variant -->"


def example_code():
    """The ```python block right after the marker in docs/architecture.md."""
    text = ARCHITECTURE.read_text()
    assert MARKER in text, f"{ARCHITECTURE} lost its {MARKER!r} example"
    match = re.match(r"\s*```python\n(.*?)```", text.split(MARKER, 1)[1], re.DOTALL)
    assert match, f"no ```python block follows {MARKER!r} in {ARCHITECTURE}"
    return match.group(1)


def test_the_add_a_variant_example_is_short():
    assert len(example_code().splitlines()) <= 50


def test_the_add_a_variant_example_trains_samples_and_is_unregistered():
    before = set(VARIANTS)
    namespace = {"__name__": "docs_example"}
    try:
        exec(compile(example_code(), str(ARCHITECTURE), "exec"), namespace)
        added = set(VARIANTS) - before
        assert len(added) == 1, f"the example should register one variant; it added {added}"
        name = added.pop()
        assert issubclass(tfgan_suite.get_variant(name), LatentGAN)
        assert namespace["images"].shape == (4, 28, 28, 1)
        assert int(namespace["model"].steps_taken) == 2
    finally:
        for name in set(VARIANTS) - before:
            cls = VARIANTS.pop(name)
            keras.saving.get_custom_objects().pop(f"tfgan_suite>{cls.__name__}", None)
    assert set(VARIANTS) == before
