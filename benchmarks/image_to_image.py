"""Image-to-image variants on the embedded MNIST style pair: translation scores after a few CPU
minutes of training, against the untrained model and the identity (JSON on stdout or --out).

Per variant and direction (`translation.TranslationEvaluator` on 2,000 test digits of each
domain): FID[mnist-classifier] of the translations against the target domain's real images, the L1
error against the known style map's truth, the shipped MNIST classifier's accuracy on translated
digits (A -> B taken back by the known inverse), and the cycle L1 error. pix2pix trains on
aligned pairs (the same digits in both styles), the others on the disjoint unpaired halves.

    PYTHONPATH=. python -m benchmarks.image_to_image --variants cyclegan pix2pix --steps 600
"""

import argparse
import json
import sys
import time

import keras

import tfgan_suite
from benchmarks.report import write_json
from tfgan_suite.data import load_dataset
from tfgan_suite.metrics.translation import IdentityTranslator, TranslationEvaluator
from tfgan_suite.data.two_domains import STYLE_PAIR


def train_on_style_pair(variant, steps, score, batch_size=16, width=16, seed=0, **options):
    """(model trained `steps` steps on the embedded pair, `score` of it untrained, wall seconds)."""
    cls = tfgan_suite.get_variant(variant)
    keras.utils.set_random_seed(seed)
    dataset, info = load_dataset("mnist_style_pair", batch_size, seed=seed,
                                 domains="paired" if cls.paired else "unpaired")
    model = tfgan_suite.build_model(variant, image_shape=info.image_shape,
                                    image_shape_b=info.image_shape_b, width=width, seed=seed,
                                    **options)
    model.compile()
    untrained = score(model)
    start = time.perf_counter()
    model.fit(dataset.repeat(), steps_per_epoch=steps, epochs=1, verbose=0)
    return model, untrained, time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="+", default=["cyclegan", "pix2pix", "discogan",
                                                          "dualgan"])
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--out", help="JSON file (default: stdout)")
    args = parser.parse_args(argv)
    evaluator = TranslationEvaluator.from_source(STYLE_PAIR, num_images=2000)
    results = {"settings": vars(args), "identity": evaluator(IdentityTranslator()), "variants": {}}
    for variant in args.variants:
        model, untrained, seconds = train_on_style_pair(variant, args.steps, evaluator,
                                                        args.batch_size, args.width)
        trained = evaluator(model)
        results["variants"][variant] = {
            "train_seconds": round(seconds, 1), "untrained": untrained, "trained": trained,
            "error_ratio_untrained_over_trained": {
                d: untrained[f"error_vs_truth_{d}"] / trained[f"error_vs_truth_{d}"]
                for d in ("a2b", "b2a")}}
        print(f"{variant}: {json.dumps(results['variants'][variant])}", file=sys.stderr)
    write_json(results, args.out)


if __name__ == "__main__":
    main()
