"""Image grids: tiled with NumPy, written with Pillow."""
import os

import chainer
import numpy
from PIL import Image

from began.data.image_folder import to_uint8


def to_uint8_images(x):
    """(N, 3, H, W) floats in [-1, 1] (NumPy, CuPy or a Variable) -> (N, H, W, 3)
    uint8 on the CPU, ready to tile."""
    return chainer.backend.CpuDevice().send(to_uint8(x)).transpose(0, 2, 3, 1)


def tile(images, rows, cols, pad=2, background=255):
    """(N, H, W, 3) uint8 -> one (rows*H, cols*W, 3) picture, row by row;
    missing cells stay blank."""
    n, h, w, c = images.shape
    grid = numpy.full((rows * (h + pad) + pad, cols * (w + pad) + pad, c),
                      background, numpy.uint8)
    for i in range(min(n, rows * cols)):
        r, q = divmod(i, cols)
        y, x = pad + r * (h + pad), pad + q * (w + pad)
        grid[y:y + h, x:x + w] = images[i]
    return grid


def save_png(array, path, scale=1):
    """Write an (H, W, 3) uint8 picture atomically; ``scale`` enlarges tiny
    images with nearest-neighbour so pixels stay visible."""
    image = Image.fromarray(array)
    if scale > 1:
        image = image.resize((image.width * scale, image.height * scale), Image.NEAREST)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f'{path}.tmp{os.getpid()}.png'
    try:
        image.save(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def display_scale(size):
    """Enlarge grids of tiny images to about 64 px a cell."""
    return max(1, 64 // size)
