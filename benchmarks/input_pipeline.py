"""The input pipeline on a folder of JPEGs of mixed sizes, against what training consumes.

Makes a folder of `--num-images` generated JPEGs (sizes 64 to 256 px a side, smooth colour fields
with noise, so that they compress like photos), then prints JSON:
- `pipeline_images_per_s`: images/s `load_dataset(folder, image_size=64, channels=3)` delivers
  (listing, reading, decoding, resizing, centre-cropping, batching) over one pass after a warm-up;
- `dcgan64_fit_images_per_s`: images/s DCGAN's `fit` consumes at 64x64x3 (the paper's networks
  and batch of 128) on the same machine; the goal is a pipeline at least 3x faster;
- `peak_rss_mb`: the peak resident memory of a process that streams one pass over the first
  `--small` images and of one over all of them (the goal: within 1.2x of each other, as memory
  must not grow with the number of images).

    python benchmarks/input_pipeline.py --num-images 20000 --small 2000 --dir /tmp/jpegs
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
BATCH = 128
SIZE = 64


def make_jpegs(folder, count, seed=0):
    """`count` JPEGs of random sizes in `folder` (kept: a second run reuses them)."""
    import numpy as np
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for index in range(count):
        path = folder / f"{index:06d}.jpg"
        if path.exists():
            continue
        height, width = rng.integers(64, 257, 2)
        field = rng.uniform(0, 255, (4, 4, 3)).astype(np.uint8)
        image = np.asarray(Image.fromarray(field).resize((int(width), int(height)), Image.BICUBIC))
        noisy = np.clip(image + rng.normal(0, 12, image.shape), 0, 255).astype(np.uint8)
        Image.fromarray(noisy).save(path, quality=90)


def pipeline_rate(source, warmup_batches=2):
    """(images/s over one pass after `warmup_batches`, images delivered)."""
    from tfgan_suite.data import load_dataset

    dataset, _ = load_dataset(source, BATCH, image_size=SIZE, channels=3, seed=0)
    iterator = iter(dataset)
    for _ in range(warmup_batches):
        next(iterator)
    start, count = time.perf_counter(), 0
    for batch in iterator:
        count += int(batch.shape[0])
    return count / (time.perf_counter() - start), count


def dcgan_fit_rate(steps):
    """Images/s DCGAN's `fit` consumes at 64x64x3, batch 128, after its first (tracing) step."""
    import keras
    import numpy as np
    import tensorflow as tf

    import tfgan_suite

    model = tfgan_suite.build_model("dcgan", image_shape=(SIZE, SIZE, 3))
    model.compile()
    images = np.random.default_rng(0).uniform(-1, 1, (BATCH, SIZE, SIZE, 3)).astype(np.float32)
    data = tf.data.Dataset.from_tensors(images).repeat()
    model.fit(data, epochs=1, steps_per_epoch=2, verbose=0)  # traces the step

    class Timer(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.start = time.perf_counter()

    timer = Timer()
    model.fit(data, epochs=1, steps_per_epoch=steps, verbose=0, callbacks=[timer])
    return steps * BATCH / (time.perf_counter() - timer.start)


def peak_rss_mb(files):
    """Peak resident memory (MB) of a fresh process streaming one pass over the folder `files`."""
    # VmHWM, not ru_maxrss: the latter keeps the forking parent's peak across exec on Linux.
    code = ("import sys; sys.path.insert(0, 'benchmarks'); import input_pipeline as b; "
            f"b.pipeline_rate({files!r}); "
            "print([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1])")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[1])
    return float(out.stdout.split()[-1]) / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--num-images", type=int, default=20000)
    parser.add_argument("--small", type=int, default=2000, help="images in the smaller memory run")
    parser.add_argument("--dir", default="/tmp/tfgan_suite_jpegs", help="where the JPEGs go")
    parser.add_argument("--dcgan-steps", type=int, default=10)
    args = parser.parse_args()
    folder = Path(args.dir)
    make_jpegs(folder, args.num_images)
    small = folder.parent / f"{folder.name}_first{args.small}"
    if not small.is_dir():  # the first --small images, linked into a folder of their own
        small.mkdir()
        for index in range(args.small):
            (small / f"{index:06d}.jpg").symlink_to(folder / f"{index:06d}.jpg")
    pipeline, delivered = pipeline_rate(str(folder))
    training = dcgan_fit_rate(args.dcgan_steps)
    memory = {args.small: peak_rss_mb(str(small)), args.num_images: peak_rss_mb(str(folder))}
    print(json.dumps({
        "images": args.num_images, "image_shape": [SIZE, SIZE, 3], "batch": BATCH,
        "pipeline_images_per_s": round(pipeline, 1), "pipeline_images_timed": delivered,
        "dcgan64_fit_images_per_s": round(training, 1),
        "pipeline_over_training": round(pipeline / training, 2),
        "peak_rss_mb": {str(n): round(mb, 1) for n, mb in memory.items()},
        "peak_rss_ratio": round(memory[args.num_images] / memory[args.small], 3),
        "cpu_count": os.cpu_count(),
    }, indent=1))


if __name__ == "__main__":
    main()
