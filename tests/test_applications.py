"""Applications: SRGAN's MSE pre-training then GAN phase, GANomaly's anomaly score
after a short training on one digit, and both served (`upscale`, `score`): exported == Keras,
called by the client and the `tfgan-suite upscale/score` commands, batch cap and bad shapes
rejected with INVALID_ARGUMENT. (The contract tests cover parity and the `.keras` round-trip.)"""

import grpc
import keras
import numpy as np
import pytest
import tensorflow as tf

import tfgan_suite
from export import export_generator
from serving.client import GeneratorClient
from serving.errors import ServingError
from serving.local_server import LocalServer
from serving.model_config import ModelEntry
from tfgan_suite.data import load_arrays
from tfgan_suite.metrics.functions import auroc, trivial_anomaly_aurocs
from tfgan_suite.training.pictures import rows_picture

# Its module-scoped fixture is built once: one pytest-xdist worker runs the module. Training and
# exporting its models costs ~40 s, so it is in the full run only (the quick contract checks
# ganomaly's `score` export).
pytestmark = [pytest.mark.xdist_group("test_applications"), pytest.mark.slow]
CAP = 4


def digits(digit, count, offset=0):
    images, labels, _, _ = load_arrays("mnist_embedded")
    return images[labels == digit][offset:offset + count].astype(np.float32) / 127.5 - 1.0


# GANomaly's MNIST protocol (Akcay et al. 2018, sec. 4.1): one digit is the anomaly, the other nine
# are normal. On a one-digit-normal split the mean-image and ink scores separate the classes alone
# (AUROC ~0.99 / ~0.95 for 1s vs 0s); with 4 held out they are at chance or below, so the bar
# measures the model (trivial_anomaly_aurocs).
HELD_OUT_DIGIT = 4


def leave_one_digit_out(held_out=HELD_OUT_DIGIT, train_count=4000, test_count=300):
    """(training normals, test normals, test anomalies) in [-1, 1], disjoint."""
    images, labels, _, _ = load_arrays("mnist_embedded")
    images = images.astype(np.float32) / 127.5 - 1.0
    normal, anomalous = images[labels != held_out], images[labels == held_out]
    return (normal[:train_count], normal[train_count:train_count + test_count],
            anomalous[:test_count])


@pytest.mark.slow  # one trace of SRGAN's three conditional phases: ~20 s on 2 cores
def test_srgan_pretrains_on_mse_then_trains_its_discriminator():
    keras.utils.set_random_seed(0)
    model = tfgan_suite.build_model("srgan", image_shape=(28, 28, 1), width=4, residual_blocks=1,
                                    pretrain_steps=2)
    model.compile()
    assert model.low_res_shape == (7, 7, 1)
    batches = tf.data.Dataset.from_tensor_slices(digits(3, 16)).batch(8)
    discriminator_start = [w.copy() for w in model.discriminator.get_weights()]
    history = model.fit(batches, verbose=0).history  # steps 0 and 1: pre-training only
    assert history["mse_loss"][0] > 0 and history["g_loss"][0] == history["d_loss"][0] == 0
    for now, before in zip(model.discriminator.get_weights(), discriminator_start):
        np.testing.assert_array_equal(now, before)
    # The schedule follows the step counter, which checkpoints and `.keras` files restore
    # (test_contract): a resumed run takes up where it stopped.
    history = model.fit(batches, verbose=0).history  # steps 2 and 3: the GAN phase
    assert history["mse_loss"][0] == 0 and history["d_loss"][0] > 0 and history["content_loss"][0] > 0
    moved = max(np.abs(now - before).max() for now, before in
                zip(model.discriminator.get_weights(), discriminator_start))
    assert moved > 0
    low_res = model.downsample(digits(3, 2)).numpy()
    assert low_res.shape == (2, 7, 7, 1) and model.upscale(low_res).shape == (2, 28, 28, 1)
    # bicubic, SRGAN, original
    assert rows_picture(model.picture_rows(digits(3, 2))).shape == (56, 84, 1)
    with pytest.raises(ValueError, match=r"content_features='mnist' takes 28x28x1 images"):
        tfgan_suite.build_model("srgan", image_shape=(32, 32, 3), width=4, residual_blocks=1,
                                content_features="mnist")
    # The default ("auto") falls back to the pixel MSE for data the classifiers cannot read.
    assert tfgan_suite.build_model("srgan", image_shape=(32, 32, 3), width=4,
                                   residual_blocks=1).content_features is None
    with pytest.raises(ValueError, match="multiples of 4"):
        tfgan_suite.build_model("srgan", image_shape=(30, 30, 1), width=4, content_features=None)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A GANomaly trained 300 steps on the nine normal digits, and an untrained SRGAN, exported
    and served."""
    base = tmp_path_factory.mktemp("apps")
    keras.utils.clear_session()
    keras.utils.set_random_seed(0)
    untrained = tfgan_suite.build_model("ganomaly", image_shape=(28, 28, 1), width=4, latent_dim=16)
    ganomaly = tfgan_suite.build_model("ganomaly", image_shape=(28, 28, 1), width=4, latent_dim=16)
    ganomaly.set_weights(untrained.get_weights())
    ganomaly.compile()
    normals = tf.data.Dataset.from_tensor_slices(leave_one_digit_out()[0])
    ganomaly.fit(normals.shuffle(4000, seed=0).repeat().batch(32), steps_per_epoch=300, verbose=0)
    srgan = tfgan_suite.build_model("srgan", image_shape=(28, 28, 1), width=4, residual_blocks=1)
    for name, model in (("ganomaly", ganomaly), ("srgan", srgan)):
        model.save(base / f"{name}.keras")
        export_generator(model, base / "models", name, max_samples=CAP)
    entries = [ModelEntry(name, str(base / "models" / name)) for name in ("ganomaly", "srgan")]
    with LocalServer(entries, poll_seconds=0) as server:
        yield dict(ganomaly=ganomaly, untrained=untrained, srgan=srgan, base=base,
                   target=f"127.0.0.1:{server.grpc_port}")


@pytest.mark.quality(variant="ganomaly")
def test_ganomaly_scores_a_held_out_digit_above_the_mean_image_and_ink_scores(served):
    training, normal, anomalous = leave_one_digit_out()
    baselines = trivial_anomaly_aurocs(training, normal, anomalous)
    bar = max(baselines.values()) + 0.04
    trained = auroc(served["ganomaly"].score(normal), served["ganomaly"].score(anomalous))
    untrained = auroc(served["untrained"].score(normal), served["untrained"].score(anomalous))
    # The untrained model is the broken one that must fail the bar.
    assert trained > bar > untrained, (trained, untrained, baselines)


@pytest.mark.parametrize("variant, method, shape", [("ganomaly", "score", (28, 28, 1)),
                                                    ("srgan", "upscale", (7, 7, 1))])
def test_served_signature_matches_keras_behind_its_cap_and_shape_checks(served, variant, method,
                                                                        shape):
    model = served[variant]
    images = np.random.default_rng(0).uniform(-1, 1, (CAP, *shape)).astype(np.float32)
    expected = getattr(model, method)(images)
    with GeneratorClient(served["target"], variant) as client:
        np.testing.assert_allclose(getattr(client, method)(images), expected, atol=1e-5)
        for bad in (np.concatenate([images, images[:1]]),  # over the batch cap
                    np.zeros((1, 14, 14, 1), np.float32)):  # wrong image shape
            with pytest.raises(ServingError) as info:
                getattr(client, method)(bad)
            assert info.value.code == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(ValueError, match=rf"{method} takes images of shape \[N, "
                                         rf"{', '.join(map(str, shape))}\] in \[-1, 1\]"):
        getattr(model, method)(np.zeros((1, 14, 14, 1)))


def test_upscale_and_score_commands_over_grpc_and_from_the_keras_file(served, tmp_path, capsys):
    from PIL import Image

    from tfgan_suite.cli import main

    base, target = served["base"], served["target"]
    for name, shape in (("low", (7, 7)), ("full", (28, 28))):
        (tmp_path / name).mkdir()
        for i, picture in enumerate(np.random.default_rng(1).integers(0, 256, (2, *shape))):
            Image.fromarray(picture.astype(np.uint8)).save(tmp_path / name / f"im{i}.png")
    low = np.stack([np.asarray(Image.open(tmp_path / "low" / f"im{i}.png")) for i in range(2)])
    expected = served["srgan"].upscale(low[..., None] / 127.5 - 1.0)
    full = np.stack([np.asarray(Image.open(tmp_path / "full" / f"im{i}.png")) for i in range(2)])
    expected_scores = served["ganomaly"].score(full[..., None] / 127.5 - 1.0)
    for kind, source in (("served", ["--server", target]), ("file", [])):
        srgan = ["srgan"] if source else [str(base / "srgan.keras")]
        assert main(["upscale", *srgan, *source, "--input", str(tmp_path / "low"),
                     "--out", str(tmp_path / kind)]) == 0
        written = np.stack([np.asarray(Image.open(tmp_path / kind / f"im{i}_upscaled.png"))
                            for i in range(2)])[..., None]
        np.testing.assert_allclose(written / 127.5 - 1.0, expected, atol=1.01 / 127.5)
        ganomaly = ["ganomaly"] if source else [str(base / "ganomaly.keras")]
        capsys.readouterr()
        assert main(["score", *ganomaly, *source, "--input", str(tmp_path / "full"),
                     "--out", str(tmp_path / f"{kind}.csv")]) == 0
        printed = [line.split() for line in capsys.readouterr().out.splitlines()]
        assert [name for name, _ in printed] == ["im0", "im1"]
        np.testing.assert_allclose([float(s) for _, s in printed], expected_scores, rtol=1e-4)
        assert (tmp_path / f"{kind}.csv").read_text().splitlines()[0] == "name,score"
    # A model of another kind: one clear error.
    assert main(["score", str(base / "srgan.keras"), "--input", str(tmp_path / "full")]) == 2
    assert "srgan model, which cannot score" in capsys.readouterr().err


# AnoGAN's scores are pixel (and feature) residuals of a reconstruction, and an imperfect
# reconstruction misses more where there is more stroke: they inherit the ink scorer's ranking, so
# digits with less ink than the other nine (4, 7, 9) score as normal, below chance. 3 has about the
# other digits' ink and mean image (both trivial scorers near chance), so its AUROC measures the model.
ANOGAN_HELD_OUT_DIGIT = 3


@pytest.mark.slow
@pytest.mark.quality(variant="anogan")
def test_anogan_latent_search_and_f_anogan_encoder_score_a_held_out_digit_above_trivial_scores():
    training, normal, anomalous = leave_one_digit_out(ANOGAN_HELD_OUT_DIGIT)
    best_trivial = max(trivial_anomaly_aurocs(training, normal, anomalous).values())
    keras.utils.set_random_seed(0)
    model = tfgan_suite.build_model("anogan", image_shape=(28, 28, 1), width=8, latent_dim=16,
                                    encoder_start=500)
    model.compile()
    untrained = auroc(model.score(normal), model.score(anomalous))
    batches = tf.data.Dataset.from_tensor_slices(training).shuffle(4000, seed=0).repeat()
    model.fit(batches.batch(32), steps_per_epoch=800, verbose=0)
    encoder = auroc(model.score(normal), model.score(anomalous))
    # 100 steps, not the paper's 500: the ranking barely moves after 100 (measured up to 500).
    search = model.search_scores(np.concatenate([normal, anomalous]), iterations=100)
    search = auroc(search[:len(normal)], search[len(normal):])
    # f-AnoGAN's served score clears the trivial scorers by a margin and the untrained model (its
    # encoder's izi_f) fails that bar. The slow latent search ranks near the best trivial scorer
    # (0.563 / 0.560 on seeds 0 / 1 against 0.547): too close for a bar that holds on every CPU,
    # so it is held to beating the untrained model's ranking by a margin.
    assert encoder > best_trivial + 0.03 > untrained, (encoder, untrained, best_trivial)
    assert search > untrained + 0.1, (search, untrained)
