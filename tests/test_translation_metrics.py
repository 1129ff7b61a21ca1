"""Translation metrics: per direction, FID in the target domain beside the cycle error, as a
function, in `tfgan-suite evaluate` and in the evaluation callback."""

import json

import numpy as np
import pytest
import tensorflow as tf

from export import export_generator
from tfgan_suite.cli import main
from tfgan_suite.data import load_dataset
from tfgan_suite.metrics import EvaluationCallback, TranslationEvaluationCallback
from tfgan_suite.models import build_model
from tfgan_suite.metrics.translation import (IdentityTranslator, KnownStyleMap, TranslationEvaluator,
                                     evaluate_translation, style_pair_test_images)

# Its module-scoped fixture is built once: one pytest-xdist worker runs the module.
pytestmark = pytest.mark.xdist_group("test_translation_metrics")

FID = "FID[mnist-classifier]"


def test_fid_in_the_target_domain_ranks_the_truth_above_the_identity():
    a, b, _ = style_pair_test_images(1000)
    # Disjoint digits: the truth's translations are other digits than the real targets.
    evaluator = TranslationEvaluator(a[:500], b[500:], metrics="fid")
    identity, truth = evaluator(IdentityTranslator()), evaluator(KnownStyleMap())
    assert set(truth) == {f"{FID}_a2b", f"{FID}_b2a", "cycle_l1_a2b", "cycle_l1_b2a"}
    # Measured: identity 132 (a2b) and 219 (b2a), the truth 5.3 and 14.
    for direction in ("a2b", "b2a"):
        assert identity[f"{FID}_{direction}"] > 5 * truth[f"{FID}_{direction}"], direction
    assert truth["cycle_l1_a2b"] < 0.05 and truth["cycle_l1_b2a"] < 0.05


def test_labels_add_the_scores_against_the_known_style_map():
    a, b, labels = style_pair_test_images(200)
    scores = evaluate_translation(KnownStyleMap(), a, b, metrics="fid,kid", labels=labels,
                                  batch_size=100)
    assert {"KID[mnist-classifier]_a2b", "error_vs_truth_b2a", "class_accuracy_a2b"} <= set(scores)
    assert scores["error_vs_truth_a2b"] < 1e-6 and scores["class_accuracy_a2b"] > 0.9


def tiny_cyclegan():
    """Its steps run eagerly: these tests are about the evaluation, not the traced step."""
    model = build_model("cyclegan", image_shape=(28, 28, 1), image_shape_b=(28, 28, 3), width=4,
                        generator_options={"residual_blocks": 1}, pool_size=4)
    model.compile(run_eagerly=True)
    return model


@pytest.fixture(scope="module")
def translator_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("translator") / "t.keras"
    tiny_cyclegan().save(path)
    return path


def test_evaluate_command_on_a_keras_translator_and_its_saved_model(translator_file, tmp_path,
                                                                    capsys):
    saved_model_dir = export_generator(translator_file, tmp_path / "export", "t")
    common = ["--data", "mnist_style_pair", "--num-samples", "100", "--batch-size", "100",
              "--metrics", "fid"]
    assert main(["evaluate", str(translator_file), "--out", str(tmp_path / "k.json"),
                 *common]) == 0
    assert f"{FID}_b2a" in capsys.readouterr().out
    assert main(["evaluate", str(saved_model_dir), "--out", str(tmp_path / "s.json"), *common]) == 0
    from_keras, from_saved_model = (json.loads((tmp_path / name).read_text())
                                    for name in ("k.json", "s.json"))
    assert (from_keras["source_kind"], from_saved_model["source_kind"]) == ("keras", "saved_model")
    assert from_keras["num_samples"] == 100
    assert set(from_keras["metrics"]) == {
        f"{FID}_a2b", f"{FID}_b2a", "cycle_l1_a2b", "cycle_l1_b2a", "error_vs_truth_a2b",
        "error_vs_truth_b2a", "class_accuracy_a2b", "class_accuracy_b2a"}
    assert from_keras["metrics"][f"{FID}_a2b"] > 50  # untrained
    for name, value in from_keras["metrics"].items():
        assert from_saved_model["metrics"][name] == pytest.approx(value, rel=1e-3, abs=1e-4), name


def test_evaluate_command_wants_two_domains_for_a_translator_only(translator_file, tmp_path, capsys):
    assert main(["evaluate", str(translator_file), "--out", str(tmp_path / "x.json")]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: ") and "\n" not in error
    assert "translates between two domains, so --data must give two" in error
    assert "mnist_style_pair" in error and not (tmp_path / "x.json").exists()
    # ... and two-domain data a generator or images.
    np.savez(tmp_path / "images.npz", images=np.zeros((4, 28, 28, 1), np.uint8))
    assert main(["evaluate", str(tmp_path / "images.npz"), "--data", "mnist_style_pair",
                 "--out", str(tmp_path / "x.json")]) == 2
    assert "holds two domains, for image-to-image models" in capsys.readouterr().err


def test_callback_logs_translation_metrics_per_epoch(tmp_path):
    model = tiny_cyclegan()
    data, _ = load_dataset("mnist_style_pair", 8, domains="unpaired")
    callback = TranslationEvaluationCallback(num_images=150, batch_size=150,
                                             log_dir=tmp_path / "tb")
    history = model.fit(data, epochs=2, steps_per_epoch=1, callbacks=[callback], verbose=0)
    names = [f"{FID}_a2b", f"{FID}_b2a", "cycle_l1_a2b", "error_vs_truth_b2a",
             "class_accuracy_a2b"]
    for name in names:
        assert len(history.history[name]) == 2 and np.all(np.isfinite(history.history[name]))
    # The last epoch's numbers are the trained model's.
    a, b, labels = style_pair_test_images(150)
    last = evaluate_translation(model, a, b, labels=labels, batch_size=150)
    for name in names:
        assert history.history[name][-1] == pytest.approx(last[name], rel=1e-4), name
    tags = set()
    for event_file in (tmp_path / "tb").iterdir():
        for event in tf.compat.v1.train.summary_iterator(str(event_file)):
            tags.update(value.tag for value in event.summary.value)
    assert {f"evaluation/{name}" for name in names} <= tags


def test_each_callback_names_the_other_for_the_wrong_model():
    data, _ = load_dataset("mnist_style_pair", 8, domains="unpaired")
    with pytest.raises(ValueError, match="cyclegan model does not .*TranslationEvaluationCallback"):
        tiny_cyclegan().fit(data, epochs=1, steps_per_epoch=1, verbose=0,
                          callbacks=[EvaluationCallback(np.zeros((10, 28, 28, 1), np.float32))])
    generator = build_model("dcgan", image_shape=(28, 28, 1), latent_dim=8, width=4)
    generator.compile()
    with pytest.raises(ValueError, match="dcgan model does not translate"):
        generator.fit(load_dataset("mnist_embedded", 8)[0], epochs=1, steps_per_epoch=1,
                      verbose=0, callbacks=[TranslationEvaluationCallback()])
