"""`tfgan-suite evaluate`: FID / KID / IS / precision-recall of a generator or of a set of images.

Sources: a `.keras` model file or a run directory (its model.keras, or best.keras with `--best`),
an exported SavedModel directory (its `sample` signature), or a
`.npz` / folder of images. Prints a table and writes the numbers as JSON.

An image-to-image model (a `.keras` translator, or a SavedModel with `translate_a2b` /
`translate_b2a` signatures) is evaluated on two-domain `--data` (e.g. `mnist_style_pair`): per
direction, the metrics of its translations of up to `--num-samples` images against the real
images of the target domain, and the cycle L1 error (`translation.TranslationEvaluator`); on the
embedded pair's test split also the error against the known style map and the class accuracy.
"""

import json
from pathlib import Path

from tfgan_suite.cli.arguments import EXTRACTORS, METRICS, add_best_flag, model_path


def register(subparsers):
    parser = subparsers.add_parser(
        "evaluate", help="FID, KID, Inception score and precision/recall against a dataset",
        description=__doc__.split("\n\n")[0])
    parser.add_argument("source", help="a .keras file, a run directory, a SavedModel directory, "
                        "or a .npz / folder of images")
    add_best_flag(parser)
    parser.add_argument("--data", default="mnist_embedded",
                        help="real data: mnist_embedded (default), a TFDS name, a .npz or an image "
                             "folder; for a translator two domains, e.g. mnist_style_pair")
    parser.add_argument("--split", default="test", help="split of --data (default: test)")
    parser.add_argument("--manual-dir", help="folder with a TFDS dataset's original archives (offline)")
    parser.add_argument("--data-dir", help="TFDS data_dir")
    parser.add_argument("--extractor", choices=EXTRACTORS,
                        help="feature network: a shipped classifier (numbers comparable with this "
                             "suite's own), or inception, Keras's ImageNet InceptionV3, which is "
                             "not the FID network (default: fashion_mnist-classifier for "
                             "fashion_mnist data, else mnist-classifier)")
    parser.add_argument("--fid-inception", metavar="PATH",
                        help="the FID Inception network (TF-GAN's / TF-Hub's tfgan/eval/inception, "
                             "or pytorch-fid's weights converted) as a SavedModel folder or .keras "
                             "file: the one extractor whose numbers compare with papers'")
    parser.add_argument("--metrics", default=",".join(METRICS),
                        help=f"comma-separated subset of {','.join(METRICS)}")
    parser.add_argument("--num-samples", type=int, default=10000,
                        help="generated images (at most, for image files)")
    parser.add_argument("--num-reference", type=int, default=10000, help="real images")
    parser.add_argument("--seed", type=int, default=0, help="seed of the first sample batch")
    parser.add_argument("--batch-size", type=int, default=500, help="images per network call")
    parser.add_argument("--cache-dir", help="reference feature cache (default: ~/.cache/tfgan_suite/reference)")
    parser.add_argument("--out", default="evaluation.json", help="JSON file to write")
    parser.set_defaults(func=run)


def open_source(source):
    """(what to evaluate, kind): a loaded `.keras` model ("keras"), a SavedModel's sampler or
    translator ("saved_model"), or the images of a .npz / folder as stored ("images")."""
    path = Path(source)
    if path.suffix == ".keras":
        import keras

        import tfgan_suite.models  # noqa: F401  (registers the serializable GAN classes)

        model = keras.models.load_model(path)
        if not hasattr(model, "sample") and not hasattr(model, "translate"):
            raise ValueError(f"{source} is a {model.variant} model; `tfgan-suite evaluate` takes "
                             "a generator (it samples) or an image-to-image translator")
        return model, "keras"
    if (path / "saved_model.pb").exists():
        return _saved_model(path), "saved_model"
    from tfgan_suite.data import load_arrays

    arrays = load_arrays(str(path)) if path.suffix == ".npz" or path.is_dir() else None
    if arrays is None:
        raise ValueError(f"{source} is not a .keras file, a SavedModel directory, a .npz or a folder of images")
    return arrays[0], "images"


class SavedModelSampler:
    """`sample(n, seed)` by a SavedModel's `sample` signature."""

    def __init__(self, loaded):
        self._signature = loaded.signatures["sample"]
        self._takes_labels = "labels" in self._signature.structured_input_signature[1]

    def sample(self, n, seed):
        import tensorflow as tf

        inputs = {"num_samples": tf.constant(n, tf.int32), "seed": tf.constant(seed, tf.int32)}
        if self._takes_labels:
            inputs["labels"] = tf.zeros([0], tf.int32)  # empty: the model's default, range(n) % classes
        return self._signature(**inputs)["images"].numpy()


class SavedModelTranslator:
    """`translate(images, direction)` by a SavedModel's `translate_<direction>` signatures."""

    def __init__(self, loaded):
        self._signatures = loaded.signatures

    def translate(self, images, direction="a2b"):
        return self._signatures[f"translate_{direction}"](images=images)["images"].numpy()


def _saved_model(path):
    import tensorflow as tf

    loaded = tf.saved_model.load(str(path))
    if "translate_a2b" in loaded.signatures:
        return SavedModelTranslator(loaded)
    if "sample" not in loaded.signatures:
        raise ValueError(f"{path} has no 'sample' or 'translate_a2b' signature (it has "
                         f"{sorted(loaded.signatures)}); export it with `tfgan-suite export`")
    return SavedModelSampler(loaded)


def evaluate_translator(translator, args, metrics):
    """(metrics of `translator` on --data's two domains, images per domain)."""
    from tfgan_suite.metrics.translation import TranslationEvaluator

    try:
        evaluator = TranslationEvaluator.from_source(
            args.data, args.split, args.num_samples, args.extractor, metrics, args.batch_size,
            manual_dir=args.manual_dir, data_dir=args.data_dir)
    except ValueError as error:
        raise ValueError(f"{args.source} translates between two domains, so --data must give "
                         f"two: {error}") from None
    return evaluator(translator), evaluator.num_images


def format_table(results):
    width = max(len(name) for name in results)
    lines = [f"{'metric':<{width}}  value", f"{'-' * width}  ----------"]
    lines += [f"{name:<{width}}  {value:.6g}" for name, value in results.items()]
    return "\n".join(lines)


def chosen_extractor(args):
    """--fid-inception's network (loaded and checked), else --extractor's name."""
    if args.fid_inception:
        if args.extractor:
            raise ValueError("give --extractor or --fid-inception, not both")
        from tfgan_suite.metrics.extractors import fid_inception_extractor

        return fid_inception_extractor(args.fid_inception)
    from tfgan_suite.metrics.extractors import extractor_for_data

    return args.extractor or extractor_for_data(args.data)


def run(args):
    # Bad input raises ValueError/OSError, which the top-level handler prints as one line.
    from tfgan_suite.metrics.evaluate import evaluate_images, parse_metrics, sample_batches
    from tfgan_suite.metrics.reference import reference_features

    args.extractor = chosen_extractor(args)
    metrics = parse_metrics(args.metrics)
    args.source = model_path(args.source, args.best)
    source, kind = open_source(args.source)
    if hasattr(source, "translate"):
        results, num_samples = evaluate_translator(source, args, metrics)
        num_reference = num_samples
    else:
        from tfgan_suite.data.two_domains import STYLE_PAIR

        if args.data == STYLE_PAIR or "," in args.data:
            raise ValueError(f"--data {args.data} holds two domains, for image-to-image models; "
                             f"{args.source} is compared with one: give one dataset (e.g. --data "
                             "mnist_embedded)")
        if kind == "images":
            from tfgan_suite.data import scale_images

            images = scale_images(source[:args.num_samples]).numpy()
            num_samples = len(images)
        else:
            images = sample_batches(lambda n, seed: source.sample(n, seed=seed), args.num_samples,
                                    args.batch_size, args.seed)
            num_samples = args.num_samples
        real_features, _ = reference_features(
            args.data, args.split, args.extractor, num=args.num_reference, data_dir=args.data_dir,
            manual_dir=args.manual_dir, cache_dir=args.cache_dir, batch_size=args.batch_size)
        results = evaluate_images(images, real_features, args.extractor, metrics, args.batch_size)
        num_reference = len(real_features)
    report = {
        "source": str(args.source),
        "source_kind": kind,
        "reference": {"data": args.data, "split": args.split, "num_images": num_reference},
        "extractor": getattr(args.extractor, "name", args.extractor),
        "num_samples": num_samples,
        "seed": args.seed,
        "metrics": results,
    }
    print(format_table(results))
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0
