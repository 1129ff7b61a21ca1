"""Reconstruction, cycle, identity and content terms as pure functions of tensors, returning
PER-EXAMPLE values: each is a mean over every axis but the batch (pixels, channels, features), so
the model reduces over the global batch with `tf.nn.compute_average_loss`, as for the adversarial
losses. The image-to-image models (CycleGAN, DiscoGAN, DualGAN, pix2pix) and the image-in
applications (SRGAN, GANomaly) share them.
"""

from keras import ops

from tfgan_suite.losses.adversarial import per_example_mean


def l1_error(outputs, targets):
    """The mean absolute difference per example, |outputs - targets|_1 / size:
    - pix2pix's L1 term (Isola et al. 2017, eq. 3): L_L1(G) = E ||y - G(x)||_1;
    - GANomaly's contextual loss (Akcay et al. 2018, eq. 2): L_con = E ||x - G(x)||_1;
    - one direction of CycleGAN's and DualGAN's cycle loss (`cycle_consistency_loss`)."""
    return per_example_mean(ops.abs(outputs - targets))


def squared_error(outputs, targets):
    """The mean squared difference per example, ||outputs - targets||_2^2 / size:
    - SRGAN's content loss (Ledig et al. 2017): l_MSE on the pixels (eq. 4), l_VGG on a feature
      map phi (eq. 5: 1/(W H) sum (phi(I_HR) - phi(G(I_LR)))^2);
    - GANomaly's L2 terms as the authors' code computes them (samet-akcay/ganomaly, a mean
      squared error): the adversarial feature matching L_adv = E ||f(x) - f(G(x))||_2 on D's
      last features f (Akcay et al. 2018, eq. 1) and the encoder loss
      L_enc = E ||G_E(x) - E(G(x))||_2 (eq. 3);
    - DiscoGAN's distance d (Kim et al. 2017, sec. 3.2: mean squared error)."""
    return per_example_mean(ops.square(outputs - targets))


def cycle_consistency_loss(a, cycled_a, b, cycled_b, distance=l1_error):
    """Zhu et al. 2017 (CycleGAN), eq. 2, per example:
    L_cyc = ||G_ba(G_ab(a)) - a||_1 + ||G_ab(G_ba(b)) - b||_1, `cycled_a` = G_ba(G_ab(a)).
    The same L1 sum is DualGAN's reconstruction error (Yi et al. 2017, sec. 3, the generators'
    loss with lambda_U = lambda_V); with `distance=squared_error` it is DiscoGAN's
    L_CONST_A + L_CONST_B, L_CONST_A = d(G_BA(G_AB(x_A)), x_A) (Kim et al. 2017, sec. 3.2-3.3)."""
    return distance(cycled_a, a) + distance(cycled_b, b)


def identity_loss(a, a_through_g_ba, b, b_through_g_ab):
    """Zhu et al. 2017 (CycleGAN), sec. 5.2, after Taigman et al. 2017, per example:
    L_identity = ||G_ab(b) - b||_1 + ||G_ba(a) - a||_1: a generator given an image of its own
    target domain should return it unchanged (it keeps the colours of photos and paintings)."""
    return l1_error(b_through_g_ab, b) + l1_error(a_through_g_ba, a)
