"""Scatter and KDE pictures of 2-D points (the 8-Gaussian experiment)."""
import os

import numpy
from matplotlib.figure import Figure

LIMIT = 4.0  # axes are fixed at [-4, 4] so pictures compare across epochs


def kde(points, limit=LIMIT, bins=200, bandwidth=0.06):
    """A Gaussian kernel density estimate on a bins x bins grid: a 2-D
    histogram smoothed by a separable Gaussian (no SciPy needed)."""
    hist, _, _ = numpy.histogram2d(points[:, 0], points[:, 1], bins=bins,
                                   range=[[-limit, limit], [-limit, limit]])
    cell = 2 * limit / bins
    radius = max(1, int(4 * bandwidth / cell))
    t = numpy.arange(-radius, radius + 1) * cell
    kernel = numpy.exp(-0.5 * (t / bandwidth) ** 2)
    kernel /= kernel.sum()
    smooth = numpy.apply_along_axis(numpy.convolve, 0, hist, kernel, mode='same')
    smooth = numpy.apply_along_axis(numpy.convolve, 1, smooth, kernel, mode='same')
    return smooth.T / max(len(points), 1) / cell ** 2  # rows are y


def _figure(n_panels):
    fig = Figure(figsize=(4.2 * n_panels, 4.4))
    return fig, [fig.add_subplot(1, n_panels, i + 1) for i in range(n_panels)]


def _save(fig, path):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f'{path}.tmp{os.getpid()}.png'
    try:
        fig.savefig(tmp, dpi=80)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def _frame(ax, title, limit):
    ax.set_xlim(-limit, limit)
    ax.set_ylim(-limit, limit)
    ax.set_aspect('equal')
    ax.set_title(title, fontsize=10)


def scatter(path, panels, suptitle='', limit=LIMIT):
    """One scatter panel per (title, points), side by side."""
    fig, axes = _figure(len(panels))
    for ax, (title, points) in zip(axes, panels):
        ax.scatter(points[:, 0], points[:, 1], s=2, alpha=0.3, linewidths=0)
        _frame(ax, title, limit)
    if suptitle:
        fig.suptitle(suptitle)
    return _save(fig, path)


def density(path, panels, suptitle='', limit=LIMIT):
    """One KDE panel per (title, points), side by side."""
    fig, axes = _figure(len(panels))
    for ax, (title, points) in zip(axes, panels):
        ax.imshow(kde(points, limit), origin='lower', cmap='viridis',
                  extent=[-limit, limit, -limit, limit])
        _frame(ax, title, limit)
    if suptitle:
        fig.suptitle(suptitle)
    return _save(fig, path)


def interpolations(path, paths, real, title='', limit=LIMIT):
    """Generator outputs along lines between pairs of z, over the true density.

    ``paths`` is (pairs, steps, 2): each row is G along one straight line in z.
    """
    fig, (ax,) = _figure(1)
    ax.imshow(kde(real, limit), origin='lower', cmap='Greys',
              extent=[-limit, limit, -limit, limit])
    colors = [f'C{i % 10}' for i in range(len(paths))]
    for line, color in zip(paths, colors):
        ax.plot(line[:, 0], line[:, 1], '-', color=color, lw=1, alpha=0.8)
        ax.scatter(line[:, 0], line[:, 1], s=6, color=color, zorder=3)
        ax.scatter(line[:1, 0], line[:1, 1], s=30, marker='o', facecolors='none',
                   edgecolors=color, zorder=4)
    _frame(ax, title or 'G(z) between pairs of z (circle: start)', limit)
    return _save(fig, path)
