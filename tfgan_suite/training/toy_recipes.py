"""Recipes that train each variant on the 2-D toys (`ring8`, `grid25`) in seconds on a CPU.

The papers' optimizer settings are tuned for images and long runs. On the toys every variant gets
MLPs of 128 units, a latent of 8, batches of 256 points and its paper's optimizer family at a
learning rate of 1e-3 decayed linearly to a tenth over the run (Adam with beta_1 = 0.5 unless its
recipe says otherwise). A recipe changes a variant's paper settings only where the paper itself
gives toy settings or where its image settings leave the toy critic too weak; each says why.
The ring-coverage tests and `benchmarks/loss_family.py` train through `train_on_toy`.
"""

import dataclasses

import keras

from tfgan_suite.data import load_dataset
from tfgan_suite.models import build_model
from tfgan_suite.data.toy import mode_coverage

TOY_WIDTH = 128
TOY_LATENT_DIM = 8
TOY_BATCH_SIZE = 256
TOY_LEARNING_RATE = 1e-3


@dataclasses.dataclass(frozen=True)
class ToyRecipe:
    optimizer: str = "adam"            # the paper's family: "adam" or "rmsprop"
    beta_2: float = 0.999              # Adam only
    options: dict = dataclasses.field(default_factory=dict)   # model options (build_model kwargs)
    why: str = "the paper's optimizer family at the toy learning rate"


DEFAULT_RECIPE = ToyRecipe()
TOY_RECIPES = {
    "wgan": ToyRecipe(
        optimizer="rmsprop", options={"clip_value": 0.1},
        why="the paper's RMSProp (Adam gave 4 of 8 modes); c = 0.01, set for DCGAN critics on "
            "images, leaves an MLP critic too weak (5 modes), c = 0.1 does not"),
    "began": ToyRecipe(
        options={"stall_patience": None},
        why="the toy rate's linear decay is the schedule; BEGAN's halving on a stalled M_global "
            "needs a constant rate"),
    "wgan_gp": ToyRecipe(
        beta_2=0.9, options={"penalty_weight": 0.1},
        why="the paper's own toy settings (its gan_toy.py): lambda = 0.1, Adam betas (0.5, 0.9)"),
}


def toy_recipe(variant):
    return TOY_RECIPES.get(variant, DEFAULT_RECIPE)


def toy_optimizer(recipe, steps):
    """The recipe's optimizer with its rate decayed linearly to a tenth over `steps` updates."""
    rate = keras.optimizers.schedules.PolynomialDecay(TOY_LEARNING_RATE, steps,
                                                      TOY_LEARNING_RATE / 10)
    if recipe.optimizer == "rmsprop":
        return keras.optimizers.RMSprop(rate)
    return keras.optimizers.Adam(rate, beta_1=0.5, beta_2=recipe.beta_2)


def train_on_toy(variant, steps, data="ring8", seed=0, epochs=1, **options):
    """`variant` trained for `steps` generator steps (in `epochs` epochs, for a history of the
    logged terms in `model.history`) on the toy `data` with its recipe; `options` (build_model
    kwargs) override the recipe's."""
    if steps % epochs:
        raise ValueError(f"steps ({steps}) must be a multiple of epochs ({epochs}).")
    recipe = toy_recipe(variant)
    keras.utils.set_random_seed(seed)
    model = build_model(variant, image_shape=(2,), latent_dim=TOY_LATENT_DIM, width=TOY_WIDTH,
                        seed=seed, **{**recipe.options, **options})
    model.compile(toy_optimizer(recipe, steps * model.n_critic), toy_optimizer(recipe, steps))
    dataset, _ = load_dataset(data, TOY_BATCH_SIZE, seed=seed)
    model.fit(dataset.repeat(), steps_per_epoch=steps // epochs, epochs=epochs, verbose=0)
    return model


def toy_coverage(model, data="ring8", samples=4000):
    """(modes covered, share of high-quality samples) of `samples` points the model draws."""
    return mode_coverage(model.sample(samples, seed=1), data)
