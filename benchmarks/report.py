"""What every benchmark does with its results: indented JSON to a file, or to stdout."""

import json


def write_json(results, out=None):
    """`results` as indented JSON into the file `out`, or on stdout when `out` is None (TFDS
    prints on stdout when it first prepares a dataset, so a script that loads one takes `--out`)."""
    text = json.dumps(results, indent=1)
    if out:
        with open(out, "w") as f:
            f.write(text + "\n")
    else:
        print(text)
