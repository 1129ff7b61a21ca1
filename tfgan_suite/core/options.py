"""A variant's options (`tfgan-suite train VARIANT --set key=value`), read from its code.

`build_model(variant, **options)` calls the variant's `create` classmethod, which passes what it
does not take itself (`**kwargs`) on to `__init__`, which passes its own `**kwargs` up the class
hierarchy. The options are the keyword parameters met along that chain, so a new variant's options
are known without being listed anywhere; their meaning is the docstring line that names them.
"""

import inspect
import json
import re
from pathlib import Path

# Parameters the training run fills in itself, and the flag that sets each.
SET_BY_THE_RUN = {
    "image_shape": "--data (the data's shape)",
    "image_shape_b": "--data (the shape of an image-to-image model's domain B)",
    "num_classes": "--conditional (the data's classes)",
    "seed": "--seed",
    "dtype_policy": "--precision",
    "training_info": "the run itself",
}


def _call_chain(cls):
    """`cls.create`, then the `__init__`s it reaches through `**kwargs`, nearest first."""
    functions = [cls.create]
    for klass in cls.__mro__:
        if not klass.__module__.startswith("tfgan_suite"):
            break  # keras.Model's own keywords (name, dtype...) are not variant options
        init = vars(klass).get("__init__")
        if init is not None and init not in functions:
            functions.append(init)
    chain = []
    for function in functions:
        chain.append(function)
        kinds = {p.kind for p in inspect.signature(function).parameters.values()}
        if inspect.Parameter.VAR_KEYWORD not in kinds:
            break
    return chain


def accepted_parameters(cls):
    """{name: default} of every keyword `build_model` accepts for `cls`; the first default met wins
    (`create`'s before `__init__`'s); parameters with no default anywhere are left out (networks)."""
    parameters = {}
    for function in _call_chain(cls):
        for p in inspect.signature(function).parameters.values():
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or p.name in ("self", "cls"):
                continue
            if p.default is not p.empty and p.name not in parameters:
                parameters[p.name] = p.default
    return parameters


def _docstrings(cls):
    for function in _call_chain(cls):
        yield inspect.getdoc(function)
    for klass in cls.__mro__:
        if klass.__module__.startswith("tfgan_suite"):
            yield inspect.getdoc(klass)
            yield inspect.getmodule(klass).__doc__


def _meaning(cls, name):
    """The first docstring sentence naming `name` as `name` (in backquotes), `name=` or (name)."""
    for doc in _docstrings(cls):
        for paragraph in (doc or "").split("\n\n"):
            for sentence in re.split(r"(?<=[.;:])\s+", " ".join(paragraph.split())):
                if f"`{name}`" in sentence or f"{name}=" in sentence or f"({name})" in sentence:
                    return sentence.strip(" -")
    return ""


def variant_options(cls):
    """[(name, default, meaning)] of the options a user sets with `--set`, in the code's order.
    A default of None that the class overrides as an attribute, `name` or `default_<name>` (e.g.
    `n_critic`, `default_loss`), shows that value; options the variant's paper fixes are left out."""
    options = []
    for name, default in accepted_parameters(cls).items():
        if name in SET_BY_THE_RUN or name in cls.fixed_options():
            continue
        for attribute in (name, f"default_{name}"):
            value = getattr(cls, attribute, None)
            if default is None and value is not None and not callable(value):
                default = value
        options.append((name, default, _meaning(cls, name)))
    return options


def check_options(variant, cls, options):
    """Raises ValueError naming the accepted options if `options` holds a key `cls` does not take."""
    accepted = {name for name, _, _ in variant_options(cls)}
    for key in options:
        if key in SET_BY_THE_RUN:
            raise ValueError(f"{key!r} is not a --set option: it is set by {SET_BY_THE_RUN[key]}.")
    unknown = sorted(set(options) - accepted)
    if unknown:
        raise ValueError(
            f"{variant} has no option {', '.join(map(repr, unknown))}. It accepts: "
            f"{', '.join(sorted(accepted))} (`tfgan-suite list --options {variant}` explains them).")


def parse_set(items):
    """`["loss=hinge", "gamma=0.75"]` -> {"loss": "hinge", "gamma": 0.75}: values are JSON when
    they parse as JSON (numbers, true/false/null, lists), else strings."""
    options = {}
    for item in items or ():
        key, separator, text = item.partition("=")
        key = key.strip()
        if not separator or not key.isidentifier():
            raise ValueError(f"--set takes key=value (e.g. --set loss=hinge); got {item!r}.")
        try:
            options[key] = json.loads(text)
        except json.JSONDecodeError:
            options[key] = text
    return options


def read_config(path):
    """The options in a JSON file holding one object, e.g. {"loss": "hinge", "n_critic": 2}."""
    path = Path(path)
    try:
        options = json.loads(path.read_text())
    except FileNotFoundError:
        raise FileNotFoundError(f"No such --config file: {path}.") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"--config {path} is not valid JSON ({error}); it must hold one object "
                         'such as {"loss": "hinge"}.') from None
    if not isinstance(options, dict):
        raise ValueError(f"--config {path} must hold one JSON object of options, such as "
                         f'{{"loss": "hinge"}}; it holds a {type(options).__name__}.')
    return options
