"""`tfgan-suite export`: a saved `.keras` GAN -> BASE/NAME/VERSION SavedModel for TF Serving."""

from export import exporter


def register(subparsers):
    parser = subparsers.add_parser(
        "export", help="export a trained generator as a versioned SavedModel (serving_default, sample, sample_png)"
    )
    parser.add_argument("model", help="a .keras file written by model.save()")
    parser.add_argument("--base-dir", required=True, help="model base directory served by TF Serving")
    parser.add_argument("--name", required=True, help="model name (the sub-directory under --base-dir)")
    parser.add_argument("--version", type=int, default=None, help="integer version (default: next free)")
    parser.add_argument(
        "--max-samples", type=int, default=exporter.DEFAULT_MAX_SAMPLES,
        help="largest num_samples the sample signatures accept",
    )
    parser.set_defaults(func=run)


def run(args):
    path = exporter.export_generator(
        args.model, args.base_dir, args.name, version=args.version, max_samples=args.max_samples
    )
    print(path)
    return 0
