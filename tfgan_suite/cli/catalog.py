"""The variants' catalog: each registered variant's paper (its module docstring's first
paragraph) and declared options (`OPTIONS`, see `tfgan_suite.core.options`), written to
`variants.json` beside this module so that `tfgan-suite list`, `list --options` and the `--set`
checks answer without loading TensorFlow, and the option lists of docs/variants.md.

Both are generated from the code: after changing a variant's options or paper line, run

    python -m tfgan_suite.cli.catalog

tests/test_options.py fails, naming this command, while either differs from the code.
"""

import functools
import json
import re
import sys
from pathlib import Path

from tfgan_suite.core.options import Option

CATALOG_FILE = Path(__file__).with_name("variants.json")
VARIANTS_DOC = Path(__file__).resolve().parents[2] / "docs" / "variants.md"
DOC_BLOCK = re.compile(r"(<!-- options: (\w+) -->\n).*?(<!-- /options -->)", re.DOTALL)


@functools.cache
def read_catalog():
    """{variant: {"paper": str, "options": [Option]}} from the written catalog."""
    entries = json.loads(CATALOG_FILE.read_text())
    return {name: {"paper": entry["paper"],
                   "options": [Option.from_dict(fields) for fields in entry["options"]]}
            for name, entry in entries.items()}


def variant_entry(name):
    """The catalog entry of variant `name`; a ValueError naming the variants if there is none."""
    catalog = read_catalog()
    if name not in catalog:
        raise ValueError(f"Unknown GAN variant {name!r}. Available: {', '.join(sorted(catalog))} "
                         "(`tfgan-suite list` shows them with their papers).")
    return catalog[name]


def built_catalog():
    """The catalog as the code declares it now (imports the models, and so TensorFlow)."""
    from tfgan_suite.core.options import variant_options
    from tfgan_suite.models import VARIANTS

    return {name: {"paper": " ".join((sys.modules[cls.__module__].__doc__ or "").strip()
                                     .split("\n\n")[0].split()),
                   "options": [option.as_dict() for option in variant_options(cls)]}
            for name, cls in sorted(VARIANTS.items())}


def options_table(options):
    """docs/variants.md's table of one variant's options."""
    rows = ["| option | takes | default | what it does |", "| --- | --- | --- | --- |"]
    for option in options:
        rows.append(f"| `{option.name}` | {option.expected} | `{json.dumps(option.default)}` | "
                    f"{option.help} |")
    return "\n".join(rows) + "\n"


def documented(text, catalog):
    """`text` (docs/variants.md) with each `<!-- options: NAME -->` block rewritten from `catalog`."""
    return DOC_BLOCK.sub(lambda block: block[1] + options_table(catalog[block[2]]["options"])
                         + block[3], text)


def main():
    catalog = built_catalog()
    CATALOG_FILE.write_text(json.dumps(catalog, indent=1) + "\n")
    read_catalog.cache_clear()
    VARIANTS_DOC.write_text(documented(VARIANTS_DOC.read_text(), read_catalog()))
    print(f"wrote {CATALOG_FILE} and the option tables of {VARIANTS_DOC}")


if __name__ == "__main__":
    main()
