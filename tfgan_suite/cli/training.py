"""The training-side sub-commands: train, sample, list, demo."""

import argparse
import json
import re
import shlex
import sys
from pathlib import Path

from tfgan_suite.cli.arguments import (DEFAULT_EPOCHS, EMBEDDED_DATA, PRECISIONS, RESIZE_MODES,
                                       STRATEGIES, add_best_flag, check_best_is_local,
                                       hide_aliases, model_path)


# What each demo trains: a DCGAN sampled by seed, a CycleGAN (the settings of its quality test)
# translating test digits of the embedded style pair.
DEMOS = {
    "dcgan": dict(data="mnist_embedded", batch_size=64, latent_dim=64, width=32),
    "cyclegan": dict(data="mnist_style_pair", batch_size=16, width=16, steps_per_epoch=150),
}


def register(subparsers):
    train = subparsers.add_parser("train", help="train a GAN variant with model.fit")
    train.add_argument("variant", help="variant name (see `tfgan-suite list`)")
    train.add_argument("--data", default="mnist_embedded",
                       help=f"embedded ({', '.join(EMBEDDED_DATA)}), a TFDS name, an .npz, a "
                            "folder or glob of images, TFRecord files; A,B for image-to-image")
    train.add_argument("--manual-dir", help="folder with a TFDS dataset's original archives (offline)")
    train.add_argument("--data-dir", help="TFDS data_dir")
    train.add_argument("--split", default="train",
                       help="TFDS, TFRecord or folder split: train, test, train[:90%%], test[1000:]")
    train.add_argument("--image-size", metavar="S|HxW",
                       help="resize every image to S x S or H x W (default: the data's own size)")
    train.add_argument("--resize", choices=RESIZE_MODES, default="crop",
                       help="crop: shorter side to the size, centre crop; pad: longer side, black "
                            "borders; stretch: both sides")
    train.add_argument("--channels", type=int, choices=(1, 3),
                       help="1 grayscale or 3 RGB (default: 1 if the images are grey, else 3)")
    train.add_argument("--flip", action="store_true", help="random horizontal flips")
    train.add_argument("--cache", metavar="memory|PATH",
                       help="keep the decoded, resized images after the first pass: in memory, or "
                            "in files at PATH (as much space as the images take at their size)")
    train.add_argument("--image-key", help="TFRecord/TFDS image feature (default: image)")
    train.add_argument("--label-key", help="TFRecord/TFDS label feature (default: label if present)")
    train.add_argument("--epochs", type=int,
                       help=f"train until this many epochs in all (default: {DEFAULT_EPOCHS}; with "
                            "--resume the run's own)")
    train.add_argument("--steps-per-epoch", type=int,
                       help="default: one pass over the data")
    train.add_argument("--batch-size", type=int, default=64, help="global batch size")
    train.add_argument("--strategy", choices=STRATEGIES, default="default",
                       help="tf.distribute strategy: one device, mirrored over the local devices, "
                            "or multi_worker (hosts from TF_CONFIG)")
    train.add_argument("--latent-dim", type=int, help="latent code size (default: the paper's)")
    train.add_argument("--width", type=int, help="network width (units or first-layer filters)")
    train.add_argument("--conditional", action="store_true", help="condition on the data's labels")
    train.add_argument("--set", dest="set_options", action="append", metavar="KEY=VALUE",
                       help="a variant option, e.g. --set loss=hinge (repeatable; values are JSON, "
                            "else strings; `tfgan-suite list --options VARIANT` lists them)")
    train.add_argument("--config", metavar="FILE.json",
                       help="variant options as one JSON object (--set overrides them)")
    train.add_argument("--precision", choices=PRECISIONS, default="fp32",
                       help="fp32, or mixed precision: bf16 (mixed_bfloat16), fp16 (mixed_float16)")
    train.add_argument("--learning-rate-scale", type=float, default=1.0,
                       help="multiply the paper's learning rates (may change on --resume)")
    train.add_argument("--seed", type=int, default=0, help="seed of the weights, noise and data order")
    train.add_argument("--out", default="runs/run", help="run directory")
    train.add_argument("--resume", action="store_true",
                       help="continue the run in --out (interrupted, or finished with more --epochs)")
    train.add_argument("--overwrite", action="store_true", help="discard the run in --out and start anew")
    train.add_argument("--eval-every", type=int, metavar="N",
                       help="every N epochs: FID and KID of samples against the data (class "
                            "accuracy too for a conditional model on MNIST / Fashion-MNIST; a "
                            "translator's FID per direction, SRGAN's PSNR and FID), into "
                            "history.csv and TensorBoard; keeps the best FID's model as best.keras")
    train.add_argument("--eval-samples", type=int, default=1000,
                       help="generated (translated, upscaled) and real images per --eval-every "
                            "evaluation")
    train.add_argument("--log-every", type=int, metavar="N",
                       help="when the output is not a terminal (a file, a pipe): a log line every "
                            "N steps too, besides the line per epoch")
    train.set_defaults(func=run_train, prepare=checked_train_options)

    sample = subparsers.add_parser(
        "sample", help="sample a .keras model, or a served model with --server")
    sample.add_argument("model", help="a .keras file or a run directory, or with --server the "
                        "served model's name")
    add_best_flag(sample)
    sample.add_argument("--server", help="HOST:PORT of a TF Serving (or local) gRPC server")
    sample.add_argument("--version", type=int, help="served version (with --server)")
    sample.add_argument("--label", help="served version label (with --server)")
    hide_aliases(sample.add_argument("--num-samples", "--num", type=int, default=64,
                                     help="how many images"), "--num")
    sample.add_argument("--seed", type=int, default=0, help="seed of the latent codes")
    sample.add_argument("--labels", type=_int_list, help="class per sample, e.g. 0,1,2 (conditional)")
    sample.add_argument("--truncation-psi", type=float,
                        help="StyleGAN: truncation towards the average w (1: none, 0: the average)")
    sample.add_argument("--mix-seed", type=int, help="StyleGAN style mixing: the seed whose styles "
                        "take over from layer --crossover on")
    sample.add_argument("--crossover", type=int, help="StyleGAN style mixing: the first layer "
                        "styled by --mix-seed (0: all of them)")
    sample.add_argument("--out", default="samples.png", help="image file to write (.png, .jpg...)")
    sample.add_argument("--no-grid", dest="grid", action="store_false",
                        help="one image per sample (OUT_0.png, ...) instead of a grid")
    sample.set_defaults(func=run_sample)

    listing = subparsers.add_parser("list", help="list the GAN variants, or one variant's options")
    listing.add_argument("--options", metavar="VARIANT",
                         help="show the options of VARIANT (for train --set) with defaults and meaning")
    listing.set_defaults(func=run_list, needs_tensorflow=False)  # read from the catalog

    demo = subparsers.add_parser(
        "demo", help="train a DCGAN on the embedded MNIST set (or a CycleGAN on the embedded style "
                     "pair), export it, serve it, sample (translate) over gRPC")
    demo.add_argument("--variant", choices=sorted(DEMOS), default="dcgan", help="what to train")
    demo.add_argument("--out", default="demo_out", help="folder for the run, the export and samples")
    demo.add_argument("--epochs", type=int, default=5, help="training epochs")
    demo.add_argument("--steps-per-epoch", type=int,
                      help="training budget per epoch (default: one pass for dcgan, 150 for cyclegan)")
    demo.set_defaults(func=run_demo)


def _int_list(text):
    try:
        return [int(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None


# CPU features with bfloat16 arithmetic (AVX512-BF16; AMX on Sapphire Rapids and later), as
# /proc/cpuinfo names them: oneDNN's bfloat16 kernels need one of them.
BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")
BF16_SLOW_WARNING = (
    "warning: --precision bf16 on a CPU without AVX512-BF16 or AMX trains about 10x slower than "
    "fp32 (DCGAN at 0.10x fp32's images/s on an AVX2 CPU, benchmarks/RESULTS.md); use --precision "
    "fp32 (TF_ENABLE_ONEDNN_OPTS=1 speeds fp32 up on such a CPU)")


def cpu_flags():
    """The CPU's feature flags (/proc/cpuinfo; empty where that file is missing)."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("flags"):
                    return set(line.partition(":")[2].split())
    except OSError:
        pass
    return set()


def bf16_warning(precision):
    """BF16_SLOW_WARNING when `precision` is bf16 and it will run on a CPU without bfloat16
    arithmetic; None on a GPU, on such a CPU, or for another precision."""
    if precision != "bf16" or cpu_flags() & set(BF16_CPU_FLAGS):
        return None
    import tensorflow as tf

    return None if tf.config.list_physical_devices("GPU") else BF16_SLOW_WARNING


def checked_train_options(args):
    """The variant options of --config and --set, checked against the variant's declaration
    before anything loads: an unknown variant or option, or a value of the wrong type, is one
    error line naming it."""
    from tfgan_suite.cli.catalog import variant_entry
    from tfgan_suite.core.options import check_declared, parse_set, read_config

    declared = variant_entry(args.variant)["options"]
    options = {**(read_config(args.config) if args.config else {}), **parse_set(args.set_options)}
    check_declared(args.variant, declared, options)
    return options


def run_train(args):
    from tfgan_suite.training import TrainingDiverged, train

    options = args.options
    warning = bf16_warning(args.precision)
    if warning:
        print(warning, file=sys.stderr)
    # Everything but the run-state flags, so the NaN advice can be pasted back with one of them.
    argv = getattr(args, "argv", [])
    argv = argv[argv.index("train") + 1:] if "train" in argv else [args.variant]
    command = " ".join(["tfgan-suite", "train", *_without_run_state_flags(argv)])
    try:
        train(args.variant, data=args.data, epochs=args.epochs, batch_size=args.batch_size,
              strategy=args.strategy, out=args.out, resume=args.resume, latent_dim=args.latent_dim,
              width=args.width, conditional=args.conditional, steps_per_epoch=args.steps_per_epoch,
              seed=args.seed, manual_dir=args.manual_dir, data_dir=args.data_dir, options=options,
              precision=args.precision, learning_rate_scale=args.learning_rate_scale,
              overwrite=args.overwrite, command=command, data_options=_data_options(args),
              log_every=args.log_every, eval_every=args.eval_every,
              eval_samples=args.eval_samples)
    except TrainingDiverged as error:  # the user's settings: one line with the advice, exit 2
        raise ValueError(str(error)) from None
    print(f"trained {args.variant}: {Path(args.out) / 'model.keras'}")
    print(f"losses, samples and evaluations: tensorboard --logdir "
          f"{shlex.quote(str(Path(args.out) / 'logs'))}")
    return 0


def _data_options(args):
    """`load_dataset`'s options from the train flags (those given)."""
    names = ("split", "image_size", "resize", "channels", "flip", "cache", "image_key", "label_key")
    return {name: getattr(args, name) for name in names
            if getattr(args, name) not in (None, False)}


def _without_run_state_flags(argv):
    kept, skip = [], False
    for item in argv:
        if skip:
            skip = False
        elif item in ("--resume", "--overwrite", "--verbose"):
            continue
        elif item == "--learning-rate-scale":
            skip = True
        elif not item.startswith("--learning-rate-scale="):
            kept.append(shlex.quote(item))
    return kept


def _check_image_path(out):
    from PIL import Image

    Image.init()
    if Path(out).suffix.lower() not in Image.registered_extensions():
        raise ValueError(f"--out {out} has no image extension: name the file .png (or .jpg, .bmp...).")


SERVER_ADVICE = {
    "UNAVAILABLE": "no server answers at {server}: start one with `tfgan-suite serve --model-base "
                   "DIR`, or check --server HOST:PORT",
    "NOT_FOUND": "the server at {server} has no such model or version; `tfgan-suite serve` serves "
                 "each folder under --model-base by its name",
    "INVALID_ARGUMENT": "the server rejected the request (check --num-samples, --labels, --version)",
    "DEADLINE_EXCEEDED": "the server at {server} did not answer in time; try fewer samples "
                         "(--num-samples)",
}


def _server_message(text):
    """The server's reason without TensorFlow's graph decoration: a failed in-graph check reads
    "{{function_node ...}} assertion failed: [num_samples must be <= 1024] [Condition...] ..."."""
    failed_check = re.search(r"assertion failed: \[([^\]]*)\]", text)
    if failed_check:
        return failed_check.group(1)
    return " ".join(re.sub(r"\{\{[^}]*\}\}", "", text).split())


def _check_style_mixing(args):
    if (args.mix_seed is None) != (args.crossover is None):
        raise ValueError("Style mixing takes both --mix-seed and --crossover.")
    if args.mix_seed is not None and args.truncation_psi is not None:
        raise ValueError("--truncation-psi applies to plain samples, not to style mixing "
                         "(--mix-seed); give one or the other.")


def run_sample(args):
    _check_image_path(args.out)
    _check_style_mixing(args)
    check_best_is_local(args)
    if args.server:
        from tfgan_suite.cli.serve import sample_from_server
        from serving.errors import ServingError

        try:
            return sample_from_server(args)
        except ServingError as error:
            advice = SERVER_ADVICE.get(error.code.name, "the server answered {code}")
            raise ServingError(error.code, advice.format(server=args.server, code=error.code.name)
                               + f" ({_server_message(error.message)})") from None
    import zipfile

    import keras

    import tfgan_suite.models  # noqa: F401  (registers the models for loading)
    from tfgan_suite.training.pictures import save_samples

    path = model_path(args.model, args.best)
    if not Path(path).is_file():
        raise FileNotFoundError(f"No such model file: {path} (give a .keras file or a run "
                                "directory, or --server HOST:PORT).")
    try:
        model = keras.models.load_model(path)
    except (ValueError, OSError, zipfile.BadZipFile) as error:
        raise ValueError(f"{path} is not a model saved by `tfgan-suite train` (a .keras "
                         f"file): {error}") from None
    if args.mix_seed is not None or args.truncation_psi is not None:
        if not hasattr(model, "style_mix"):
            raise ValueError(f"{path} is a {model.variant} model: --truncation-psi, "
                             "--mix-seed and --crossover are for stylegan models.")
        samples = (model.style_mix(args.num_samples, args.seed, args.mix_seed, args.crossover)
                   if args.mix_seed is not None else
                   model.sample(args.num_samples, seed=args.seed,
                                truncation_psi=args.truncation_psi))
    else:
        samples = model.sample(args.num_samples, labels=args.labels, seed=args.seed)
    for path in save_samples(args.out, samples, grid=args.grid):
        print(path)
    return 0


def run_list(args):
    """From the catalog the variants' code declares (`tfgan_suite.cli.catalog`): no TensorFlow."""
    from tfgan_suite.cli.catalog import read_catalog, variant_entry

    if args.options:
        print(f"{args.options} options (tfgan-suite train {args.options} --set KEY=VALUE):")
        for option in variant_entry(args.options)["options"]:
            print(f"  {option.name:20s} {json.dumps(option.default):16s} {option.help} "
                  f"Takes {option.expected}.")
        return 0
    for name, entry in read_catalog().items():
        print(f"{name:12s} {entry['paper']}")
    return 0


def run_demo(args):
    """Train -> export -> serve -> sample: a small DCGAN on the embedded MNIST test set (or with
    `--variant cyclegan` a CycleGAN on the embedded style pair), exported as a versioned
    SavedModel, served (TF Serving if installed, else the local server) and sampled (translated)
    over gRPC by a separate client process."""
    import subprocess

    from export import export_generator
    from serving.launcher import start_server
    from tfgan_suite.training import run_status, train

    out = Path(args.out)
    run_dir = out / "run"
    settings = dict(DEMOS[args.variant])
    if args.steps_per_epoch is not None:
        settings["steps_per_epoch"] = args.steps_per_epoch
    # A second demo in the same --out continues an interrupted run, or trains anew.
    status = run_status(run_dir)
    model = train(args.variant, epochs=args.epochs, out=run_dir, resume=status == "interrupted",
                  overwrite=status == "finished", verbose=2, **settings)
    version_dir = export_generator(model, out / "models", args.variant)
    if args.variant == "cyclegan":
        inputs, served = _demo_digits(out / "inputs"), out / "served_translations"
        command, options = "translate", ["--input", str(inputs), "--direction", "a2b"]
        made = {"digits to translate": inputs, "translated over gRPC": served}
    else:
        served = out / "served_samples.png"
        command, options = "sample", ["--num-samples", "64", "--seed", "0"]
        made = {"sampled over gRPC": served}
    with start_server(out / "models", model_names=[args.variant]) as server:
        print(f"serving {version_dir} ({server.kind} server) on gRPC {server.grpc_target}"
              + (f", REST 127.0.0.1:{server.rest_port}" if server.rest_port else ""))
        client = [sys.executable, "-m", "tfgan_suite.cli", command, args.variant, "--server",
                  server.grpc_target, *options, "--out", str(served)]
        subprocess.run(client, check=True, stdout=subprocess.DEVNULL)
    made = {"samples per epoch": run_dir / "samples", "trained model": run_dir / "model.keras",
            "exported SavedModel": version_dir, **made}
    for what, path in made.items():
        print(f"{what + ':':<25}{path}")
    return 0


def _demo_digits(directory, num_images=8):
    """The first test digits of the embedded style pair (domain A) as PNGs in `directory`."""
    from tfgan_suite.training.pictures import save_picture
    from tfgan_suite.data.two_domains import style_pair_arrays

    directory.mkdir(parents=True, exist_ok=True)
    for index, digit in enumerate(style_pair_arrays("test")[0][:num_images]):
        save_picture(directory / f"digit_{index}.png", digit)
    return directory
