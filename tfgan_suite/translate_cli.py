"""`tfgan-suite translate MODEL_OR_SERVED_NAME --input FOLDER_OR_IMAGE --direction a2b --out DIR`:
images of one domain translated by an image-to-image model, a `.keras` file or (with `--server`)
a served model, written as PNGs under the input files' names."""

from pathlib import Path

import numpy as np

from serving.images import save_picture

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")


def register(subparsers):
    parser = subparsers.add_parser(
        "translate", help="translate images with an image-to-image model (.keras, or --server)")
    parser.add_argument("model", help="a .keras file, or with --server the served model's name")
    parser.add_argument("--input", required=True, help="an image file or a folder of images")
    parser.add_argument("--direction", choices=("a2b", "b2a"), default="a2b")
    parser.add_argument("--out", required=True, help="folder for the translated PNGs")
    parser.add_argument("--server", help="HOST:PORT of a TF Serving (or local) gRPC server")
    parser.add_argument("--version", type=int, help="served version (with --server)")
    parser.set_defaults(func=run_translate)


def read_images(path):
    """([N, H, W, C] float32 in [-1, 1], file names) of an image or a folder of same-sized images."""
    from PIL import Image

    path = Path(path)
    files = (sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
             if path.is_dir() else [path])
    if not files or not files[0].is_file():
        raise FileNotFoundError(f"--input {path}: no such image, or a folder without images "
                                f"({', '.join(IMAGE_SUFFIXES)}).")
    pictures = [np.asarray(Image.open(p)) for p in files]
    if len({p.shape for p in pictures}) > 1:
        raise ValueError(f"The images in {path} differ in shape; translate one size at a time.")
    images = np.stack(pictures).astype(np.float32) / 127.5 - 1.0
    return (images[..., None] if images.ndim == 3 else images), [p.stem for p in files]


def run_translate(args):
    images, names = read_images(args.input)
    if args.server:
        from serving.client import GeneratorClient

        with GeneratorClient(args.server, args.model, version=args.version) as client:
            translated = client.translate(images, direction=args.direction)
    else:
        import keras

        import tfgan_suite  # noqa: F401  (registers the models for loading)

        if not Path(args.model).is_file():
            raise FileNotFoundError(f"No such model file: {args.model} (give a .keras file, or "
                                    "--server HOST:PORT).")
        model = keras.models.load_model(args.model)
        if getattr(model, "input_kind", None) != "image":
            raise ValueError(f"{args.model} is a {model.variant} model, which samples rather than "
                             "translates: use `tfgan-suite sample`.")
        translated = model.translate(images, args.direction)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    pixels = np.round((np.clip(translated, -1, 1) + 1) * 127.5).astype(np.uint8)
    for name, picture in zip(names, pixels):
        print(save_picture(out / f"{name}_{args.direction}.png", picture))
    return 0
