"""The training-side sub-commands: train, sample, list, demo."""

import argparse
import sys
from pathlib import Path

from tfgan_suite.data import embedded_names
from tfgan_suite.distribute import STRATEGIES


def register(subparsers):
    train = subparsers.add_parser("train", help="train a GAN variant with model.fit")
    train.add_argument("variant", help="variant name (see `tfgan-suite list`)")
    train.add_argument("--data", default="mnist_embedded",
                       help=f"embedded ({', '.join(embedded_names())}), a TFDS name, an .npz or a folder")
    train.add_argument("--manual-dir", help="folder with a TFDS dataset's original archives (offline)")
    train.add_argument("--data-dir", help="TFDS data_dir")
    train.add_argument("--epochs", type=int, default=5)
    train.add_argument("--steps-per-epoch", type=int)
    train.add_argument("--batch-size", type=int, default=64, help="global batch size")
    train.add_argument("--strategy", choices=STRATEGIES, default="default")
    train.add_argument("--latent-dim", type=int)
    train.add_argument("--width", type=int, help="network width (units or first-layer filters)")
    train.add_argument("--conditional", action="store_true", help="condition on the data's labels")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--out", default="runs/run", help="run directory")
    train.add_argument("--resume", action="store_true", help="continue an interrupted run in --out")
    train.set_defaults(func=run_train)

    sample = subparsers.add_parser(
        "sample", help="sample a .keras model, or a served model with --server")
    sample.add_argument("model", help="a .keras file, or with --server the served model's name")
    sample.add_argument("--server", help="HOST:PORT of a TF Serving (or local) gRPC server")
    sample.add_argument("--version", type=int, help="served version (with --server)")
    sample.add_argument("--label", help="served version label (with --server)")
    sample.add_argument("--num", type=int, default=64)
    sample.add_argument("--seed", type=int, default=0)
    sample.add_argument("--labels", type=_int_list, help="class per sample, e.g. 0,1,2 (conditional)")
    sample.add_argument("--out", default="samples.png", help="PNG grid to write")
    sample.add_argument("--no-grid", dest="grid", action="store_false",
                        help="one PNG per image (OUT_0.png, ...) instead of a grid")
    sample.set_defaults(func=run_sample)

    listing = subparsers.add_parser("list", help="list the GAN variants")
    listing.set_defaults(func=run_list)

    demo = subparsers.add_parser(
        "demo", help="train a DCGAN on the embedded MNIST set, export it, serve it, sample it over gRPC")
    demo.add_argument("--out", default="demo_out")
    demo.add_argument("--epochs", type=int, default=5)
    demo.set_defaults(func=run_demo)


def _int_list(text):
    try:
        return [int(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None


def _fail(error):
    print(f"tfgan-suite: error: {error}", file=sys.stderr)
    return 2


def run_train(args):
    from tfgan_suite.training import TrainingDiverged, train

    try:
        train(args.variant, data=args.data, epochs=args.epochs, batch_size=args.batch_size,
              strategy=args.strategy, out=args.out, resume=args.resume, latent_dim=args.latent_dim,
              width=args.width, conditional=args.conditional, steps_per_epoch=args.steps_per_epoch,
              seed=args.seed, manual_dir=args.manual_dir, data_dir=args.data_dir)
    except (ValueError, FileExistsError, TrainingDiverged) as error:
        return _fail(error)
    print(f"trained {args.variant}: {Path(args.out) / 'model.keras'}")
    return 0


def run_sample(args):
    if args.server:
        from serving.cli import sample_from_server

        return sample_from_server(args)
    import keras

    import tfgan_suite  # noqa: F401  (registers the models for loading)
    from tfgan_suite.images import save_samples

    if not Path(args.model).is_file():
        return _fail(f"No such model file: {args.model} (give a .keras file, or --server HOST:PORT).")
    model = keras.models.load_model(args.model)
    try:
        samples = model.sample(args.num, labels=args.labels, seed=args.seed)
    except ValueError as error:
        return _fail(error)
    for path in save_samples(args.out, samples, grid=args.grid):
        print(path)
    return 0


def run_list(args):
    from tfgan_suite.models import VARIANTS

    for name, cls in sorted(VARIANTS.items()):
        # The docstring's first paragraph names the paper.
        paper = (sys.modules[cls.__module__].__doc__ or "").strip().split("\n\n")[0]
        print(f"{name:12s} {' '.join(paper.split())}")
    return 0


def run_demo(args):
    """Train -> export -> serve -> sample: a small DCGAN on the embedded MNIST test set, exported as
    a versioned SavedModel, served (TF Serving if installed, else the local server) and sampled over
    gRPC by a separate client process."""
    import subprocess

    from export import export_generator
    from serving.launcher import start_server
    from tfgan_suite.training import train

    out = Path(args.out)
    run_dir = out / "run"
    model = train("dcgan", data="mnist_embedded", epochs=args.epochs, batch_size=64, out=run_dir,
                  resume=(run_dir / "backup").exists(), latent_dim=64, width=32, verbose=2)
    version_dir = export_generator(model, out / "models", "dcgan")
    served_grid = out / "served_samples.png"
    with start_server(out / "models", model_names=["dcgan"]) as server:
        print(f"serving {version_dir} ({server.kind} server) on gRPC {server.grpc_target}"
              + (f", REST 127.0.0.1:{server.rest_port}" if server.rest_port else ""))
        client = [sys.executable, "-m", "tfgan_suite.cli", "sample", "dcgan", "--server",
                  server.grpc_target, "--num", "64", "--seed", "0", "--out", str(served_grid)]
        subprocess.run(client, check=True, stdout=subprocess.DEVNULL)
    print(f"samples per epoch:       {run_dir / 'samples'}")
    print(f"trained model:           {run_dir / 'model.keras'}")
    print(f"exported SavedModel:     {version_dir}")
    print(f"sampled over gRPC:       {served_grid}")
    return 0
