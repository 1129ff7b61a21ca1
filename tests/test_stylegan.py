"""StyleGAN beyond the contract: truncation towards the average w, style mixing at a crossover
layer, and the lazy R1 phase running on exactly every 16th step, also after a resume, without
warnings about D's final bias (which R1 cannot move); after a short MNIST run (slow), the
quality bar (classifier FID and digit coverage) and per-layer noise changing fine detail only."""

import warnings

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
from tfgan_suite.cli import main as tfgan_suite_main
from tfgan_suite.data import load_dataset
from tfgan_suite.metrics import extractors
from tfgan_suite.training.run import scale_learning_rates

from helpers import MnistBar

# Its module-scoped fixture is built once: one pytest-xdist worker runs the module.
pytestmark = pytest.mark.xdist_group("test_stylegan")

BATCH = 8
# The MNIST bar (test_stylegan_lowers_the_classifier_fid_on_mnist); measured figures in the
# commit that set them.
FID_FACTOR, MIN_DIGITS = 1.3, 4


class PerStepLogs(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.logs = []

    def on_train_batch_end(self, batch, logs=None):
        self.logs.append({name: float(np.mean(value)) for name, value in logs.items()})


def fit_steps(model, steps):
    images = np.random.default_rng(len(model.get_weights())).uniform(
        -1, 1, (steps * BATCH, *model.image_shape)).astype(np.float32)
    recorder = PerStepLogs()
    model.fit(images, batch_size=BATCH, verbose=0, callbacks=[recorder])
    return recorder.logs


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny StyleGAN (16 px: two doublings as for 28 px, the steps cheaper) after 20 steps
    (EMA from step 0, w average away from 0), its per-step logs, its .keras file and the
    warnings its fit raised."""
    keras.utils.set_random_seed(0)
    model = tfgan_suite.build_model("stylegan", image_shape=(16, 16, 1), latent_dim=16, width=4,
                                    ema_start=0)
    model.compile()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        logs = fit_steps(model, 20)
    path = tmp_path_factory.mktemp("stylegan") / "m.keras"
    model.save(path)
    return model, logs, path, [str(warning.message) for warning in caught]


def steps_that_ran_r1(logs, first_step):
    """The steps on which the epoch's running mean of r1_penalty moved (it starts at 0)."""
    seen, ran = 0.0, []
    for step, entry in enumerate(logs, start=first_step):
        if entry["r1_penalty"] != seen:
            ran.append(step)
            seen = entry["r1_penalty"]
    return ran


def test_lazy_r1_runs_every_16_steps_and_resumes_on_schedule(trained):
    model, logs, path, _ = trained
    assert steps_that_ran_r1(logs, 0) == [0, 16]
    assert logs[0]["r1_loss"] == pytest.approx(0.5 * model.r1_gamma * 16 * logs[0]["r1_penalty"])
    resumed = keras.models.load_model(path)
    assert int(resumed.steps_taken) == 20
    # Steps 20..32: the schedule counts from the run's first step, not the resumed fit's.
    assert steps_that_ran_r1(fit_steps(resumed, 13), 20) == [32]


def test_r1_phase_trains_discriminator_without_missing_gradient_warnings(trained):
    model, logs, _, warned = trained
    assert steps_that_ran_r1(logs, 0) == [0, 16]
    assert not [message for message in warned if "Gradients do not exist" in message]


def test_psi_zero_gives_the_image_of_the_average_w(trained):
    model, _, _, _ = trained
    assert np.abs(model.inference_networks()["generator"].w_average.numpy()).max() > 1e-3
    average = model.average_image()
    np.testing.assert_allclose(model.sample(4, seed=3, truncation_psi=0.0),
                               np.repeat(average, 4, axis=0), atol=1e-5)
    untruncated = model.sample(4, seed=3)
    assert np.abs(untruncated - average).mean(axis=(1, 2, 3)).min() > 1e-4
    halfway = model.sample(4, seed=3, truncation_psi=0.5)
    assert np.abs(halfway - average).mean() < np.abs(untruncated - average).mean()
    with pytest.raises(ValueError, match="truncation_psi must be a number"):
        model.sample(2, truncation_psi=float("nan"))


def test_style_mixing_takes_the_second_seed_from_the_crossover_on(trained):
    model, _, _, _ = trained
    first, second = model.sample(3, seed=1), model.sample(3, seed=2)
    num_ws = model.generator.num_ws
    np.testing.assert_allclose(model.style_mix(3, 1, 2, crossover=0), second, atol=1e-6)
    np.testing.assert_allclose(model.style_mix(3, 1, 2, crossover=num_ws), first, atol=1e-6)
    np.testing.assert_allclose(model.style_mix(3, 1, 2, crossover=num_ws + 5), first, atol=1e-6)
    middle = model.style_mix(3, 1, 2, crossover=num_ws // 2)
    assert min(np.abs(middle - first).mean(), np.abs(middle - second).mean()) > 1e-4
    with pytest.raises(ValueError, match="crossover must be a layer index >= 0"):
        model.style_mix(1, 1, 2, crossover=-1)


def test_truncation_and_style_mixing_are_served_and_sampled_by_the_cli(trained, tmp_path):
    model, _, path, _ = trained
    export_generator(model, tmp_path / "models", "stylegan")
    with LocalServer([ModelEntry("stylegan", str(tmp_path / "models" / "stylegan"))],
                     poll_seconds=0) as server:
        target = f"127.0.0.1:{server.grpc_port}"
        with GeneratorClient(target, "stylegan") as client:
            inputs = client.metadata()["signatures"]["style_mix"]["inputs"]
            assert set(inputs) == {"num_samples", "seed", "mix_seed", "crossover"}
            np.testing.assert_allclose(client.sample(3, seed=4, truncation_psi=0.5),
                                       model.sample(3, seed=4, truncation_psi=0.5), atol=1e-5)
            np.testing.assert_allclose(client.sample(3, seed=4), model.sample(3, seed=4),
                                       atol=1e-5)
            np.testing.assert_allclose(client.style_mix(3, 1, 2, crossover=3),
                                       model.style_mix(3, 1, 2, crossover=3), atol=1e-5)
            with pytest.raises(ServingError, match="crossover must be a layer index >= 0"):
                client.style_mix(1, 1, 2, crossover=-1)
            with pytest.raises(ValueError, match="samples without truncation"):
                client.sample(2, seed=1, truncation=0.5)
        served = tmp_path / "served.png"
        assert tfgan_suite_main(["sample", "stylegan", "--server", target, "--num", "4",
                                 "--mix-seed", "2", "--crossover", "0", "--out",
                                 str(served)]) == 0
    in_process = tmp_path / "in_process.png"
    assert tfgan_suite_main(["sample", str(path), "--num", "4", "--seed", "2",
                             "--truncation-psi", "1", "--out", str(in_process)]) == 0
    # crossover 0: every style from the mix seed, i.e. the images of seed 2
    assert served.read_bytes() == in_process.read_bytes()


def test_cli_style_mixing_needs_both_options(trained, tmp_path, capsys):
    _, _, path, _ = trained
    assert tfgan_suite_main(["sample", str(path), "--mix-seed", "2",
                             "--out", str(tmp_path / "x.png")]) != 0
    assert "Style mixing takes both --mix-seed and --crossover" in capsys.readouterr().err


MNIST_STEPS = 300


def train_on_mnist(seed):
    """(1000 samples of the untrained generator, the model after MNIST_STEPS batches of 32
    embedded MNIST digits): width 16, latent 32, the paper's Adam at a fifth of its learning
    rate (at 0.0025 runs this short hop from digit to digit)."""
    keras.utils.set_random_seed(seed)
    data, info = load_dataset("mnist_embedded", 32, seed=seed)
    model = tfgan_suite.build_model("stylegan", image_shape=info.image_shape, latent_dim=32,
                                    width=16, seed=seed)
    model.compile()
    scale_learning_rates(model, 0.2)
    untrained = model.sample(1000, seed=1)
    model.fit(data.repeat(), steps_per_epoch=MNIST_STEPS, epochs=1, verbose=0)
    return untrained, model


def noise_figures(model, samples=256):
    """(share of `samples` seeds whose digit (the shipped classifier's) is the same with fresh
    per-layer noise as without, mean |noisy - noise-free| image difference)."""
    generator = model.inference_networks()["generator"]
    ws = generator.broadcast(generator.mapping(model.prior_latent(samples, 1)))
    rng = np.random.default_rng(0)
    noises = [tf.constant(rng.standard_normal((samples, *shape)), tf.float32)
              for shape in generator.noise_shapes]
    noisy = np.clip(generator.synthesis(ws, noises).numpy(), -1, 1)
    noise_free = np.clip(generator.synthesis(
        ws, [tf.zeros_like(noise) for noise in noises]).numpy(), -1, 1)
    classifier = extractors.get_extractor("mnist-classifier")
    agreement = np.mean(classifier.extract(noisy)[1].argmax(-1)
                        == classifier.extract(noise_free)[1].argmax(-1))
    return float(agreement), float(np.abs(noisy - noise_free).mean())


def noise_changes_fine_detail_only(figures):
    """The issue's bar: the digit survives fresh noise in >= 95% of the seeds, and the noise
    does change the images."""
    agreement, difference = figures
    return agreement >= 0.95 and difference > 1e-3


@pytest.fixture(scope="module")
def mnist_trained():
    """(The untrained generator's samples, the model trained on MNIST), seed 0: one run serves
    the quality bar and the noise test."""
    untrained, model = train_on_mnist(0)
    return untrained, model


@pytest.mark.slow
@pytest.mark.quality(variant="stylegan")
def test_stylegan_lowers_the_classifier_fid_on_mnist(mnist_trained):
    """FID[mnist-classifier] of 1000 samples below the untrained generator's / FID_FACTOR and
    MIN_DIGITS digits at >= 2% of them; MnistBar.check shows the untrained generator and the
    trained one collapsed to one image or to its commonest digit failing the same bar."""
    untrained, model = mnist_trained
    MnistBar(fid_factor=FID_FACTOR, min_digits=MIN_DIGITS).check(untrained,
                                                                  model.sample(1000, seed=1))


@pytest.mark.parametrize("size, doublings", [(28, 2), (32, 3), (64, 4), (128, 5)])
def test_one_block_per_octave_from_the_smallest_constant(size, doublings):
    """Karras et al.'s synthesis: a constant at 4x4 (7x7 for 28 px) and a block of two convs per
    doubling up to the image; the discriminator halves as many times."""
    model = tfgan_suite.build_model("stylegan", image_shape=(size, size, 3), latent_dim=8, width=4)
    generator = model.generator
    assert generator.start_size * 2 ** doublings == size and generator.start_size in (4, 7)
    assert generator.num_ws == 2 * doublings + 2 and len(generator.to_rgb) == doublings + 1
    assert len(model.discriminator.blocks) == doublings


def test_a_file_saved_before_the_octaves_loads_with_two_doublings():
    """Networks saved without `doublings` had two at every size: 32 px from an 8x8 constant."""
    model = tfgan_suite.build_model("stylegan", image_shape=(32, 32, 1), latent_dim=8, width=4)
    for network in (model.discriminator, model.generator):
        config = network.get_config()
        del config["doublings"]
        restored = type(network).from_config(config)
        assert restored.doublings == 2
    assert restored.start_size == 8  # the generator's constant

@pytest.mark.slow
def test_noise_inputs_change_fine_detail_only_on_mnist(mnist_trained):
    """For 256 seeds, the shipped classifier reads the same digit with fresh per-layer noise as
    without it, and the noise does change the images; the generator before training (noise
    strengths 0: agreement 1.0, no change) fails the bar. That the samples are digits at all is
    the quality test's FID bar on the same run."""
    _, model = mnist_trained
    figures = noise_figures(model)
    print(f"agreement {figures[0]:.3f}, mean |noisy - noise-free| {figures[1]:.4f}")
    assert noise_changes_fine_detail_only(figures), figures
    untrained = tfgan_suite.build_model("stylegan", image_shape=(28, 28, 1), latent_dim=32,
                                        width=16)
    assert not noise_changes_fine_detail_only(noise_figures(untrained))
