"""Commands that run an image-in model on image files, a `.keras` file or run directory, or
(with `--server`) a served model:

- `tfgan-suite translate MODEL --input FOLDER_OR_IMAGE --direction a2b --out DIR`: images of one
  domain translated by an image-to-image model, written as PNGs under the input files' names;
- `tfgan-suite upscale MODEL --input ... --out DIR`: low-resolution images super-resolved (SRGAN);
- `tfgan-suite score MODEL --input ... [--out FILE.csv]`: one anomaly score per image (GANomaly),
  printed as `name score` lines (and written as CSV).
"""

import csv
from pathlib import Path

from tfgan_suite.cli.arguments import add_best_flag, check_best_is_local, model_path


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")


def _add_model_arguments(parser):
    parser.add_argument("model", help="a .keras file or a run directory, or with --server the "
                        "served model's name")
    add_best_flag(parser)
    parser.add_argument("--input", required=True, help="an image file or a folder of images")
    parser.add_argument("--server", help="HOST:PORT of a TF Serving (or local) gRPC server")
    parser.add_argument("--version", type=int, help="served version (with --server)")


def register(subparsers):
    parser = subparsers.add_parser(
        "translate", help="translate images with an image-to-image model (.keras, or --server)")
    _add_model_arguments(parser)
    parser.add_argument("--direction", choices=("a2b", "b2a"), default="a2b")
    parser.add_argument("--out", required=True, help="folder for the translated PNGs")
    parser.set_defaults(func=run_translate)

    parser = subparsers.add_parser(
        "upscale", help="super-resolve low-resolution images with an srgan model (.keras, or --server)")
    _add_model_arguments(parser)
    parser.add_argument("--out", required=True, help="folder for the upscaled PNGs")
    parser.set_defaults(func=run_upscale)

    parser = subparsers.add_parser(
        "score", help="anomaly scores of images by a ganomaly model (.keras, or --server)")
    _add_model_arguments(parser)
    parser.add_argument("--out", help="a CSV file for the scores (name,score)")
    parser.set_defaults(func=run_score)


def read_images(path):
    """([N, H, W, C] float32 in [-1, 1], file names) of an image or a folder of same-sized images."""
    import numpy as np
    from PIL import Image

    path = Path(path)
    files = (sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
             if path.is_dir() else [path])
    if not files or not files[0].is_file():
        raise FileNotFoundError(f"--input {path}: no such image, or a folder without images "
                                f"({', '.join(IMAGE_SUFFIXES)}).")
    pictures = [np.asarray(Image.open(p)) for p in files]
    if len({p.shape for p in pictures}) > 1:
        raise ValueError(f"The images in {path} differ in shape; give one size at a time.")
    images = np.stack(pictures).astype(np.float32) / 127.5 - 1.0
    return (images[..., None] if images.ndim == 3 else images), [p.stem for p in files]


COMMAND_MODELS = {"translate": "an image-to-image", "upscale": "an srgan", "score": "a ganomaly"}


def run_on_images(args, call):
    """(`call(target, images)`, file names) for the images of --input, the target being the
    loaded `.keras` model or, with --server, the gRPC client (both have the same methods)."""
    check_best_is_local(args)
    images, names = read_images(args.input)
    if args.server:
        from serving.client import GeneratorClient

        with GeneratorClient(args.server, args.model, version=args.version) as client:
            return call(client, images), names
    import keras

    import tfgan_suite.models  # noqa: F401  (registers the models for loading)

    path = model_path(args.model, args.best)
    if not Path(path).is_file():
        raise FileNotFoundError(f"No such model file: {path} (give a .keras file or a run "
                                "directory, or --server HOST:PORT).")
    model = keras.models.load_model(path)
    if not hasattr(model, args.command):
        raise ValueError(f"{path} is a {model.variant} model, which cannot "
                         f"{args.command}: `tfgan-suite {args.command}` takes "
                         f"{COMMAND_MODELS[args.command]} model (`tfgan-suite sample` samples "
                         "a latent one).")
    return call(model, images), names


def _write_pictures(out, names, suffix, images):
    import numpy as np

    from tfgan_suite.training.pictures import save_picture

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    pixels = np.round((np.clip(images, -1, 1) + 1) * 127.5).astype(np.uint8)
    for name, picture in zip(names, pixels):
        print(save_picture(out / f"{name}_{suffix}.png", picture))


def run_translate(args):
    translated, names = run_on_images(
        args, lambda target, images: target.translate(images, args.direction))
    _write_pictures(args.out, names, args.direction, translated)
    return 0


def run_upscale(args):
    upscaled, names = run_on_images(args, lambda target, images: target.upscale(images))
    _write_pictures(args.out, names, "upscaled", upscaled)
    return 0


def run_score(args):
    scores, names = run_on_images(args, lambda target, images: target.score(images))
    for name, score in zip(names, scores):
        print(f"{name} {score:.6g}")
    if args.out:
        with open(args.out, "w", newline="") as f:
            csv.writer(f).writerows([("name", "score"), *zip(names, map(float, scores))])
    return 0
