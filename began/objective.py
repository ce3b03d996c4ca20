"""The BEGAN objective, as the spec states it (../shared/spec/README.md).

L(v) = mean |v - D(v)|                       (eta = 1)
L_D  = L(x) - k_t L(G(z))                    (D's parameters only)
L_G  = L(G(z))                               (G's parameters only)
k_t+1 = clip(k_t + lambda_k (gamma L(x) - L(G(z))), 0, 1)
M_global = L(x) + |gamma L(x) - L(G(z))|     (lower is better)

Two options of the post's own kind, off by default:
  L_D += w mean(h^2)   h = D's code of real data (the post's tip: h grew)
  k_t's control on the ratio gamma - L(G(z)) / L(x) instead of the difference
The mode-coverage terms beyond the post live in began/coverage/.
"""
import chainer.functions as F


def reconstruction_loss(v, reconstruction):
    """L(v): the mean absolute error of D's reconstruction of a batch."""
    return F.mean_absolute_error(v, reconstruction)


def discriminator_loss(loss_real, loss_fake, k):
    return loss_real - k * loss_fake


def latent_penalty(h, weight):
    """w mean(h^2): pulls D's code h towards 0. The post saw h on real data
    grow to std ~80 and thought it might want regularising."""
    return weight * F.mean(F.square(h))


def generator_loss(loss_fake):
    return loss_fake


def balance(loss_real, loss_fake, gamma, how='difference'):
    """How far the losses are from gamma = L(G(z)) / L(x): the post's
    gamma L(x) - L(G(z)), or the same balance as a ratio, gamma -
    L(G(z)) / L(x), whose size does not depend on the losses' scale."""
    real, fake = float(loss_real), float(loss_fake)
    if how == 'ratio':
        return gamma - fake / max(real, 1e-12)
    return gamma * real - fake


def update_k(k, loss_real, loss_fake, gamma, lambda_k, how='difference'):
    """One step of the proportional control of k_t, clipped to [0, 1]."""
    k = k + lambda_k * balance(loss_real, loss_fake, gamma, how)
    return min(max(k, 0.0), 1.0)


def convergence_measure(loss_real, loss_fake, gamma):
    """M_global: small when D reconstructs real data and the balance holds."""
    return float(loss_real) + abs(gamma * float(loss_real) - float(loss_fake))
