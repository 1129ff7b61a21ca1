"""`tfgan-suite export`: a saved `.keras` model -> BASE/NAME/VERSION SavedModel for TF Serving."""

from tfgan_suite.cli.arguments import DEFAULT_MAX_SAMPLES, add_best_flag, hide_aliases, model_path


def register(subparsers):
    parser = subparsers.add_parser(
        "export", help="export a trained model as a versioned SavedModel with its serving signatures "
        "(latent GANs: serving_default, sample, sample_png; image-to-image: translate_a2b/b2a)"
    )
    parser.add_argument("model", help="a .keras file written by model.save(), or a run directory")
    add_best_flag(parser)
    hide_aliases(parser.add_argument(
        "--model-base", "--base-dir", required=True,
        help="model base directory, as `tfgan-suite serve --model-base` serves it"), "--base-dir")
    parser.add_argument("--name", required=True, help="model name (the sub-directory under --model-base)")
    parser.add_argument("--version", type=int, default=None, help="integer version (default: next free)")
    parser.add_argument(
        "--max-samples", type=int, default=DEFAULT_MAX_SAMPLES,
        help="batch cap of every signature (e.g. the largest num_samples of `sample`)",
    )
    parser.set_defaults(func=run)


def run(args):
    from export import exporter

    path = exporter.export_generator(
        model_path(args.model, args.best), args.model_base, args.name, version=args.version, max_samples=args.max_samples
    )
    print(path)
    return 0
