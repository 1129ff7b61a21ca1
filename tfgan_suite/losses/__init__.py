"""Losses as pure functions of tensors, per example, each citing its paper's equation: the
adversarial family (`adversarial`), the conditional terms (`conditional`), and the reconstruction,
cycle and content terms the image-to-image and application models share (`reconstruction`).
TF-GAN's functions are used where it has them (`tfgan_compat` makes it import on TF >= 2.16)."""

from tfgan_suite.losses.adversarial import (
    ADVERSARIAL_LOSSES, F_DIVERGENCES, adversarial_losses, began_balance_update, began_convergence,
    energy_margin_loss, f_divergence, f_gan_generator_loss, gradient_penalty,
    hinge_discriminator_loss, hinge_generator_loss, least_squares_discriminator_loss,
    least_squares_generator_loss, minimax_discriminator_loss, minimax_generator_loss,
    non_saturating_generator_loss, per_example_mean, pulling_away_term, r1_penalty,
    reconstruction_error, variational_divergence_terms, wasserstein_critic_loss,
    wasserstein_generator_loss)
from tfgan_suite.losses.reconstruction import (cycle_consistency_loss, identity_loss, l1_error,
                                                squared_error)
