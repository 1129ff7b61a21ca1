"""The `tfgan-suite` command line, one module per command group: `training` (train, sample, list,
demo), `image_in` (translate, upscale, score), `evaluate`, `augment`, `export` and `serve`
(serve, sample from a server). This is the only layer that joins the library with `export/` and
`serving/`; `main` builds the parser (`app.py`) only when called, so importing the package stays
free of gRPC."""


def main(argv=None):
    from tfgan_suite.cli.app import main as run

    return run(argv)
