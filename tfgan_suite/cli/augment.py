"""`tfgan-suite augment`: GAN samples as extra training data for a classifier
(`tfgan_suite.training.synthetic_data`)."""

import json
from pathlib import Path

from tfgan_suite.cli.arguments import CONDITIONAL_VARIANTS


def register(subparsers):
    augment = subparsers.add_parser(
        "augment", help="train a classifier on N labelled images with and without a conditional "
                        "GAN's samples; accuracy on the test split")
    augment.add_argument("--data", default="mnist_embedded",
                         help="mnist_embedded, or a TFDS name with a test split (mnist, fashion_mnist)")
    augment.add_argument("--manual-dir", help="folder with the TFDS dataset's original archives")
    augment.add_argument("--data-dir", help="TFDS data_dir")
    augment.add_argument("--labelled", type=int, default=100,
                         help="labelled training images, the same number of each class")
    augment.add_argument("--generator", help="a trained cgan/acgan .keras file (default: train one "
                                             "on the labelled images)")
    augment.add_argument("--variant", choices=CONDITIONAL_VARIANTS, default="cgan",
                         help="the generator trained when no --generator is given")
    augment.add_argument("--gan-steps", type=int, default=2000, help="training steps of that GAN")
    augment.add_argument("--width", type=int, default=32, help="the trained GAN's width")
    augment.add_argument("--ratio", type=float, default=1.0,
                         help="generated images per labelled image")
    augment.add_argument("--classifier-steps", type=int, default=1000,
                         help="training steps of each classifier")
    augment.add_argument("--batch-size", type=int, default=64, help="batch size of all training")
    augment.add_argument("--seed", type=int, default=0, help="the labelled images and all training")
    augment.add_argument("--save-npz", help="write the mixed (labelled + generated) set here")
    augment.add_argument("--out", help="write the results as JSON here")
    augment.set_defaults(func=run_augment)


def run_augment(args):
    import numpy as np

    from tfgan_suite.training.synthetic_data import (
        balanced_subset, generated_examples, load_generator, test_accuracy, train_and_test_arrays,
        train_generator)

    (train_images, train_labels), test, num_classes = train_and_test_arrays(
        args.data, args.manual_dir, args.data_dir)
    if args.labelled % num_classes:
        raise ValueError(f"--labelled must be a multiple of the {num_classes} classes (the same "
                         f"number of each); got {args.labelled}.")
    chosen = balanced_subset(train_labels, args.labelled // num_classes, args.seed)
    images, labels = train_images[chosen], train_labels[chosen]
    if args.generator:
        model = load_generator(args.generator, train_images.shape[1:], num_classes)
    else:
        model = train_generator(args.variant, images, labels, num_classes, args.gan_steps,
                                args.width, args.batch_size, args.seed)
    fake_images, fake_labels = generated_examples(model, round(args.ratio * len(images)),
                                                  num_classes, args.seed)
    mixed = (np.concatenate([images, fake_images]), np.concatenate([labels, fake_labels]))
    if args.save_npz:
        np.savez_compressed(args.save_npz, images=mixed[0], labels=mixed[1])
    train = lambda x, y: test_accuracy(x, y, test, num_classes, args.classifier_steps,
                                       args.batch_size, args.seed)
    results = {"data": args.data, "labelled": len(images), "generated": len(fake_images),
               "generator": args.generator or f"{args.variant}, {args.gan_steps} steps",
               "classifier_steps": args.classifier_steps, "seed": args.seed,
               "test_images": len(test[1]),
               "accuracy_labelled_only": train(images, labels),
               "accuracy_with_generated": train(*mixed)}
    print(f"test accuracy ({results['test_images']} images): {results['accuracy_labelled_only']:.4f} "
          f"on {len(images)} labelled images, {results['accuracy_with_generated']:.4f} with "
          f"{len(fake_images)} generated ones added")
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1) + "\n")
    return 0
