"""StyleGAN beyond the contract: truncation towards the average w, style mixing at a crossover
layer, and the lazy R1 phase running on exactly every 16th step, also after a resume."""

import keras
import numpy as np
import pytest

import tfgan_suite

BATCH = 8


class PerStepLogs(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.logs = []

    def on_train_batch_end(self, batch, logs=None):
        self.logs.append({name: float(np.mean(value)) for name, value in logs.items()})


def fit_steps(model, steps):
    images = np.random.default_rng(len(model.get_weights())).uniform(
        -1, 1, (steps * BATCH, 8, 8, 1)).astype(np.float32)
    recorder = PerStepLogs()
    model.fit(images, batch_size=BATCH, verbose=0, callbacks=[recorder])
    return recorder.logs


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny StyleGAN after 20 steps (EMA from step 0, w average away from 0), its per-step
    logs and its .keras file."""
    keras.utils.set_random_seed(0)
    model = tfgan_suite.build_model("stylegan", image_shape=(8, 8, 1), latent_dim=16, width=4,
                                    ema_start=0)
    model.compile()
    logs = fit_steps(model, 20)
    path = tmp_path_factory.mktemp("stylegan") / "m.keras"
    model.save(path)
    return model, logs, path


def steps_that_ran_r1(logs, first_step):
    """The steps on which the epoch's running mean of r1_penalty moved (it starts at 0)."""
    seen, ran = 0.0, []
    for step, entry in enumerate(logs, start=first_step):
        if entry["r1_penalty"] != seen:
            ran.append(step)
            seen = entry["r1_penalty"]
    return ran


def test_lazy_r1_runs_every_16_steps_and_resumes_on_schedule(trained):
    model, logs, path = trained
    assert steps_that_ran_r1(logs, 0) == [0, 16]
    assert logs[0]["r1_loss"] == pytest.approx(0.5 * model.r1_gamma * 16 * logs[0]["r1_penalty"])
    resumed = keras.models.load_model(path)
    assert int(resumed.steps_taken) == 20
    # Steps 20..32: the schedule counts from the run's first step, not the resumed fit's.
    assert steps_that_ran_r1(fit_steps(resumed, 13), 20) == [32]


def test_psi_zero_gives_the_image_of_the_average_w(trained):
    model, _, _ = trained
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
    model, _, _ = trained
    first, second = model.sample(3, seed=1), model.sample(3, seed=2)
    num_ws = model.generator.num_ws
    np.testing.assert_allclose(model.style_mix(3, 1, 2, crossover=0), second, atol=1e-6)
    np.testing.assert_allclose(model.style_mix(3, 1, 2, crossover=num_ws), first, atol=1e-6)
    np.testing.assert_allclose(model.style_mix(3, 1, 2, crossover=num_ws + 5), first, atol=1e-6)
    middle = model.style_mix(3, 1, 2, crossover=num_ws // 2)
    assert min(np.abs(middle - first).mean(), np.abs(middle - second).mean()) > 1e-4
    with pytest.raises(ValueError, match="crossover must be a layer index >= 0"):
        model.style_mix(1, 1, 2, crossover=-1)
