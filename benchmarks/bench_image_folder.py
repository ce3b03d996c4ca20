"""Time and peak memory of began.data.image_folder: first (decoding) vs cached load.

    python benchmarks/bench_image_folder.py                      # temp images
    python benchmarks/bench_image_folder.py --images /tmp/bench_images

Without --images, COUNT synthetic PNG images (smooth gradients plus noise)
are written to a temporary folder that is deleted afterwards.  With --images
DIR, DIR is used as it is if it holds images, and is created and filled with
synthetic images if it does not exist (so it can be reused between runs).

Each load runs in its own Python process (so peak RSS is per load) against
a fresh cache folder: the first one decodes every file and writes the cache,
the second one reads the cache.  Peak RSS is the process's ru_maxrss, which
includes the interpreter, NumPy, Pillow and Chainer (see the "after imports"
column).
"""

import argparse
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time


def _make_one(args):
    directory, index, side = args
    import numpy
    from PIL import Image
    rng = numpy.random.RandomState(index)
    t = numpy.linspace(0.0, 1.0, side, dtype=numpy.float32)
    y, x = numpy.meshgrid(t, t, indexing='ij')
    channels = []
    for _ in range(3):
        a, b, c = rng.uniform(-1, 1, 3)
        fx, fy = rng.uniform(0.5, 3, 2)
        base = 128 + 80 * (a * x + b * y) + 40 * numpy.sin(
            2 * numpy.pi * (fx * x + fy * y) + c * 3)
        channels.append(base + rng.normal(0, 6, (side, side)))
    image = numpy.clip(numpy.stack(channels, -1), 0, 255).astype(numpy.uint8)
    name = os.path.join(directory, '{:03d}'.format(index // 1000),
                        'img{:05d}.png'.format(index))
    Image.fromarray(image).save(name)


def make_images(directory, count, side):
    for i in range(0, count, 1000):
        os.makedirs(os.path.join(directory, '{:03d}'.format(i // 1000)),
                    exist_ok=True)
    jobs = [(directory, i, side) for i in range(count)]
    with multiprocessing.Pool() as pool:
        for _ in pool.imap_unordered(_make_one, jobs, chunksize=64):
            pass


def worker(images, size, cache_dir):
    """Runs in the child: one load, JSON result on the last stdout line."""
    import resource
    from began.data.image_folder import load_image_folder
    rss_imports = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    array = load_image_folder(images, size, cache_dir=cache_dir,
                              progress=False)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({
        'seconds': seconds, 'peak_kib': peak, 'imports_kib': rss_imports,
        'shape': list(array.shape), 'dtype': str(array.dtype),
        'nbytes': int(array.nbytes)}))


def run_child(images, size, cache_dir):
    cmd = [sys.executable, os.path.abspath(__file__), '--worker',
           '--images', images, '--size', str(size), '--cache-dir', cache_dir]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE,
                         universal_newlines=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    result['process_seconds'] = time.perf_counter() - t0
    return result


def _count_files(directory):
    return sum(len(files) for _, _, files in os.walk(directory))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--images', help='image folder (default: temporary)')
    parser.add_argument('--count', type=int, default=10000,
                        help='images to generate (default 10000)')
    parser.add_argument('--src-size', type=int, default=128,
                        help='side of generated images (default 128)')
    parser.add_argument('--size', type=int, default=96,
                        help='load size (default 96)')
    parser.add_argument('--cache-dir', help=argparse.SUPPRESS)
    parser.add_argument('--worker', action='store_true',
                        help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        worker(args.images, args.size, args.cache_dir)
        return

    scratch = tempfile.mkdtemp(prefix='bench_image_folder_')
    try:
        images = args.images or os.path.join(scratch, 'images')
        if not os.path.isdir(images):
            t0 = time.perf_counter()
            make_images(images, args.count, args.src_size)
            print('generated {} {}x{} PNG images in {} ({:.1f} s)'.format(
                args.count, args.src_size, args.src_size, images,
                time.perf_counter() - t0))
        cache_dir = os.path.join(scratch, 'cache')
        first = run_child(images, args.size, cache_dir)
        second = run_child(images, args.size, cache_dir)
        cache_bytes = sum(os.path.getsize(os.path.join(cache_dir, n))
                          for n in os.listdir(cache_dir))

        n = first['shape'][0]
        print('{} files under {}; array {} {} = {:.1f} MiB; cache file '
              '{:.1f} MiB'.format(_count_files(images), images,
                                  tuple(first['shape']), first['dtype'],
                                  first['nbytes'] / 2 ** 20,
                                  cache_bytes / 2 ** 20))
        header = ('load', 'load s', 'images/s', 'process s',
                  'peak RSS MiB', 'after imports MiB')
        rows = []
        for label, r in (('first (decode + write cache)', first),
                         ('second (from cache)', second)):
            rows.append((label, '{:.2f}'.format(r['seconds']),
                         '{:.0f}'.format(n / r['seconds']),
                         '{:.2f}'.format(r['process_seconds']),
                         '{:.0f}'.format(r['peak_kib'] / 1024),
                         '{:.0f}'.format(r['imports_kib'] / 1024)))
        widths = [max(len(str(row[i])) for row in [header] + rows)
                  for i in range(len(header))]
        for row in [header] + rows:
            print('  '.join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                            for i, (c, w) in enumerate(zip(row, widths))))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == '__main__':
    main()
