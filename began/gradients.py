"""The gradients of one BEGAN step with no backward pass run twice.

L_D = real_terms - k_t L(G(z))   goes to D's parameters,
L_G = L(G(z))                    goes to G's parameters.

Both losses depend on D's pass over G(z) only through the scalar L(G(z)),
so one backward pass from L(G(z)) through that branch of D serves both: its
weight gradients, times -k_t, are L_D's share (not computed at all while
k_t = 0), and its input gradient is what L_G back-propagates into G. D sees
G's output through ``fake_in``, a copy of it cut from G's graph, so that
pass stops at D's input; G's backward pass then starts from ``fake`` with
that input gradient. Asking ``chainer.grad`` for L_D and L_G separately
instead runs the fake branch's backward pass twice (once only to be scaled
by k_t = 0 at the start of training).
"""
import chainer

from began.fast_cpu.inplace import subtract_scaled


def set_began_gradients(dis, gen, real_terms, loss_fake, k, fake, fake_in):
    """Set ``param.grad`` of every parameter of ``dis`` to that of
    real_terms - k loss_fake, and of ``gen`` to that of loss_fake, where
    loss_fake was computed by ``dis`` from ``fake_in`` (a leaf copy of
    ``fake``, G's output) and real_terms does not depend on G."""
    dis_params, gen_params = parameters(dis), parameters(gen)
    wanted = [fake_in] + (dis_params if k else [])
    grad_in, *fake_grads = chainer.grad([loss_fake], wanted)
    real_grads = chainer.grad([real_terms], dis_params)
    for param, grad, fake_grad in zip(dis_params, real_grads,
                                      fake_grads or [None] * len(dis_params)):
        if grad is None:
            grad = chainer.Variable(param.xp.zeros_like(param.array))
        if fake_grad is not None:
            subtract_scaled(grad.array, k, fake_grad.array)
        param.grad_var = grad
    chainer.grad([fake], gen_params, grad_outputs=[grad_in], set_grad=True)


def set_separate_gradients(dis, gen, loss_d, loss_g):
    """The general path: L_D's gradient to ``dis``'s parameters, L_G's to
    ``gen``'s, one ``chainer.grad`` each. For losses with terms that use
    D's pass over G(z) other than through L(G(z)) (the mode-coverage
    options), where set_began_gradients' shortcut does not hold."""
    chainer.grad([loss_d], parameters(dis), set_grad=True)
    chainer.grad([loss_g], parameters(gen), set_grad=True)


def parameters(link):
    """The link's parameters in a fixed order (by name)."""
    return [p for _, p in sorted(link.namedparams())]
