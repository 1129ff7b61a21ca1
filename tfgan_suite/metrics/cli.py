"""`tfgan-suite evaluate`: FID / KID / IS / precision-recall of a generator or of a set of images.

Sources: a `.keras` model file, an exported SavedModel directory (its `sample` signature), or a
`.npz` / folder of images. Prints a table and writes the numbers as JSON.
"""

import json
from pathlib import Path


from tfgan_suite.metrics.evaluate import METRICS, evaluate_images, parse_metrics, sample_batches
from tfgan_suite.metrics.extractors import available_extractors
from tfgan_suite.metrics.reference import reference_features


def register(subparsers):
    parser = subparsers.add_parser(
        "evaluate", help="FID, KID, Inception score and precision/recall against a dataset",
        description=__doc__.split("\n\n")[0])
    parser.add_argument("source", help="a .keras file, a SavedModel directory, or a .npz / folder of images")
    parser.add_argument("--data", default="mnist_embedded",
                        help="real data: mnist_embedded (default), a TFDS name, a .npz or an image folder")
    parser.add_argument("--split", default="test", help="split of --data (default: test)")
    parser.add_argument("--manual-dir", help="folder with a TFDS dataset's original archives (offline)")
    parser.add_argument("--data-dir", help="TFDS data_dir")
    parser.add_argument("--extractor", default="mnist-classifier", choices=available_extractors(),
                        help="feature network (default: mnist-classifier; inception = published-FID setting)")
    parser.add_argument("--metrics", default=",".join(METRICS),
                        help=f"comma-separated subset of {','.join(METRICS)}")
    parser.add_argument("--num-samples", type=int, default=10000,
                        help="generated images (at most, for image files)")
    parser.add_argument("--num-reference", type=int, default=10000, help="real images")
    parser.add_argument("--seed", type=int, default=0, help="seed of the first sample batch")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--cache-dir", help="reference feature cache (default: ~/.cache/tfgan_suite/reference)")
    parser.add_argument("--out", default="evaluation.json", help="JSON file to write")
    parser.set_defaults(func=run)


def generated_images(source, num_samples, batch_size, seed):
    """(batches of images in [-1, 1], kind) for a .keras model, a SavedModel dir, or image files."""
    path = Path(source)
    if path.suffix == ".keras":
        import keras

        import tfgan_suite  # noqa: F401  (registers the serializable GAN classes)

        model = keras.models.load_model(path)
        return sample_batches(lambda n, s: model.sample(n, seed=s), num_samples, batch_size, seed), "keras"
    if (path / "saved_model.pb").exists():
        return sample_batches(_saved_model_sampler(path), num_samples, batch_size, seed), "saved_model"
    from tfgan_suite.data import load_arrays, scale_images

    arrays = load_arrays(str(path)) if path.suffix == ".npz" or path.is_dir() else None
    if arrays is None:
        raise ValueError(f"{source} is not a .keras file, a SavedModel directory, a .npz or a folder of images")
    return scale_images(arrays[0][:num_samples]).numpy(), "images"


def _saved_model_sampler(path):
    import tensorflow as tf

    loaded = tf.saved_model.load(str(path))
    if "sample" not in loaded.signatures:
        raise ValueError(f"{path} has no 'sample' signature (it has {sorted(loaded.signatures)}); "
                         "export it with `tfgan-suite export`")
    signature = loaded.signatures["sample"]
    takes_labels = "labels" in signature.structured_input_signature[1]

    def sample(n, seed):
        inputs = {"num_samples": tf.constant(n, tf.int32), "seed": tf.constant(seed, tf.int32)}
        if takes_labels:
            inputs["labels"] = tf.zeros([0], tf.int32)  # empty: the model's default, range(n) % classes
        return signature(**inputs)["images"].numpy()

    return sample


def format_table(results):
    width = max(len(name) for name in results)
    lines = [f"{'metric':<{width}}  value", f"{'-' * width}  ----------"]
    lines += [f"{name:<{width}}  {value:.6g}" for name, value in results.items()]
    return "\n".join(lines)


def run(args):
    # Bad input raises ValueError/OSError, which the top-level handler prints as one line.
    metrics = parse_metrics(args.metrics)
    images, kind = generated_images(args.source, args.num_samples, args.batch_size, args.seed)
    real_features, _ = reference_features(
        args.data, args.split, args.extractor, num=args.num_reference, data_dir=args.data_dir,
        manual_dir=args.manual_dir, cache_dir=args.cache_dir, batch_size=args.batch_size)
    results = evaluate_images(images, real_features, args.extractor, metrics, args.batch_size)
    report = {
        "source": str(args.source),
        "source_kind": kind,
        "reference": {"data": args.data, "split": args.split, "num_images": len(real_features)},
        "extractor": args.extractor,
        "num_samples": args.num_samples if kind != "images" else len(images),
        "seed": args.seed,
        "metrics": results,
    }
    print(format_table(results))
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0
