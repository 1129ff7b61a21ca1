"""The evaluation callback inside `fit` under MirroredStrategy (2 logical CPUs, see conftest)."""

import numpy as np
import pytest
import tensorflow as tf

from tfgan_suite.data import load_arrays, load_dataset
from tfgan_suite.metrics.callback import EvaluationCallback
from tfgan_suite.metrics.extractors import get_extractor
from tfgan_suite.metrics.functions import frechet_distance, inception_score
from tfgan_suite.models import build_model

EXTRACTOR = "mnist-classifier"


def _fit(strategy, callback, epochs):
    with strategy.scope():
        model = build_model("dcgan", image_shape=(28, 28, 1), latent_dim=16, width=8)
        model.compile()
    data, _ = load_dataset("mnist_embedded", 32, num_replicas=strategy.num_replicas_in_sync)
    return model, model.fit(data, epochs=epochs, steps_per_epoch=2, callbacks=[callback], verbose=0)


def test_callback_logs_metrics_to_history_and_tensorboard(two_replicas, tmp_path):
    real = load_arrays("mnist_embedded")[0][:500].astype(np.float32) / 127.5 - 1.0
    callback = EvaluationCallback(real, extractor=EXTRACTOR, num_samples=200, batch_size=100,
                                  log_dir=tmp_path / "tb")
    model, history = _fit(two_replicas, callback, epochs=2)
    names = [f"{m}[{EXTRACTOR}]" for m in ("FID", "KID", "KID_std", "IS", "IS_std", "precision", "recall")]
    for name in names:
        assert len(history.history[name]) == 2 and np.all(np.isfinite(history.history[name])), name
    fid = history.history[f"FID[{EXTRACTOR}]"]
    assert min(fid) > 10.0  # an untrained generator is far from MNIST
    # The last epoch's figures are those of the trained generator's own samples (seeds 0 and 1, as
    # the callback draws them), recomputed here from the metric functions.
    extractor = get_extractor(EXTRACTOR)
    features, logits = extractor.extract(np.concatenate([model.sample(100, seed=0), model.sample(100, seed=1)]))
    assert fid[-1] == pytest.approx(frechet_distance(extractor.extract(real)[0], features), rel=1e-4)
    assert history.history[f"IS[{EXTRACTOR}]"][-1] == pytest.approx(inception_score(logits)[0], rel=1e-4)

    tags = set()
    for event_file in (tmp_path / "tb").iterdir():
        for event in tf.compat.v1.train.summary_iterator(str(event_file)):
            tags.update(value.tag for value in event.summary.value)
    assert {f"evaluation/{name}" for name in names} <= tags


def test_callback_runs_every_n_epochs_with_chosen_metrics(two_replicas, tmp_path):
    callback = EvaluationCallback("mnist_embedded", extractor=EXTRACTOR, metrics="fid,is", every_n_epochs=2,
                                  num_samples=100, batch_size=50, num_reference=500, cache_dir=tmp_path)
    _, history = _fit(two_replicas, callback, epochs=3)
    assert len(history.history[f"FID[{EXTRACTOR}]"]) == 1  # epoch 2 only
    assert f"KID[{EXTRACTOR}]" not in history.history
    weights_id = get_extractor(EXTRACTOR).weights_id
    assert [p.name for p in tmp_path.iterdir()] == [f"mnist_embedded-test-{EXTRACTOR}@{weights_id}-500.npz"]


def test_callback_rejects_a_model_whose_images_the_extractor_cannot_take(tmp_path):
    model = build_model("dcgan", image_shape=(32, 32, 3), latent_dim=16, width=8)
    model.compile()
    data = tf.data.Dataset.from_tensor_slices(np.zeros((8, 32, 32, 3), np.float32)).batch(4)
    callback = EvaluationCallback(np.zeros((10, 28, 28, 1), np.float32), extractor=EXTRACTOR)
    with pytest.raises(ValueError, match=r"shape \(28, 28, 1\), but this model makes \(32, 32, 3\)"):
        model.fit(data, epochs=1, callbacks=[callback], verbose=0)


def test_callback_rejects_bad_settings():
    with pytest.raises(ValueError, match="unknown metrics"):
        EvaluationCallback(metrics="fid,lpips")
    with pytest.raises(ValueError, match="every_n_epochs"):
        EvaluationCallback(every_n_epochs=0)
