"""A variant's options (`tfgan-suite train VARIANT --set key=value`), as the variant declares them.

Each class lists the options it introduces or changes in `OPTIONS`, a tuple of `Option`s next to
the code that uses them: the template's (`LatentGAN.OPTIONS`: `n_critic`, `loss`, `augment`...)
and the variant's own (`WGAN.OPTIONS`: `clip_value`, and `n_critic` with WGAN's default 5).
`variant_options(cls)` collects them along the class hierarchy, the nearest class's declaration
winning. `tfgan-suite list --options`, the `--set` checks and docs/variants.md read this (the
command line through the catalog `tfgan_suite.cli.catalog` writes, so it needs no TensorFlow);
tests/test_options.py checks every declaration against the code's own keyword defaults.

This module imports no TensorFlow.
"""

import dataclasses
import inspect
import json
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

# What a value of each type is called in an error message and in the docs.
TYPE_NAMES = {int: "an integer", float: "a number", str: "a string", bool: "true or false",
              dict: "a JSON object"}


@dataclasses.dataclass(frozen=True)
class Option:
    """One option: `type` (int, float, str, bool or dict), `default`, `help` one sentence saying
    what it does (and why, where the default is not the paper's), `choices` the accepted values
    when they are few, `nullable` when null (None) is accepted (always when the default is None).
    """

    name: str
    type: type
    default: object
    help: str
    choices: tuple = ()
    nullable: bool = False

    def __post_init__(self):
        if self.type not in TYPE_NAMES:
            raise TypeError(f"Option {self.name}: type must be one of {sorted(t.__name__ for t in TYPE_NAMES)}")
        if self.default is None:
            object.__setattr__(self, "nullable", True)

    def changed(self, default, help=None):
        """This option with another default (and the sentence saying why), for a subclass."""
        return dataclasses.replace(self, default=default, help=help or self.help)

    @property
    def expected(self):
        """What the option takes, in words: 'an integer', 'one of "kl", "pearson" or null'..."""
        if self.choices:
            words = ", ".join(json.dumps(c) for c in self.choices)
            text = f"one of {words}"
        else:
            text = TYPE_NAMES[self.type]
        return f"{text} or null" if self.nullable else text

    def accepts(self, value):
        if value is None:
            return self.nullable
        if self.choices:
            return value in self.choices
        if self.type is float:  # JSON's 2 is a number too; True is not
            return isinstance(value, (int, float)) and not isinstance(value, bool)
        if self.type is int:
            return isinstance(value, int) and not isinstance(value, bool)
        return isinstance(value, self.type)

    def check(self, value):
        """Raises ValueError naming the option and the type it expects when `value` is not one."""
        if not self.accepts(value):
            shown = repr(value) if isinstance(value, str) else json.dumps(value)
            raise ValueError(f"--set {self.name} expects {self.expected}, got {shown}")

    def as_dict(self):
        return {"name": self.name, "type": self.type.__name__, "default": self.default,
                "help": self.help, "choices": list(self.choices), "nullable": self.nullable}

    @classmethod
    def from_dict(cls, fields):
        types = {t.__name__: t for t in TYPE_NAMES}
        return cls(**{**fields, "type": types[fields["type"]], "choices": tuple(fields["choices"])})


def variant_options(cls):
    """[Option] a user sets with `--set` for `cls`: the `OPTIONS` of its classes, nearest first
    (a subclass's declaration replaces its base's), less those its paper fixes."""
    options = {}
    for klass in cls.__mro__:
        for option in vars(klass).get("OPTIONS", ()):
            options.setdefault(option.name, option)
    fixed = cls.fixed_options()
    return [option for name, option in options.items() if name not in fixed]


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


def check_declared(variant, declared, options):
    """Raises ValueError, one line, if `options` holds a key the variant does not declare or a
    value of the wrong type; `declared` is its [Option]."""
    by_name = {option.name: option for option in declared}
    for key in options:
        if key in SET_BY_THE_RUN:
            raise ValueError(f"{key!r} is not a --set option: it is set by {SET_BY_THE_RUN[key]}.")
    unknown = sorted(set(options) - set(by_name))
    if unknown:
        raise ValueError(
            f"{variant} has no option {', '.join(map(repr, unknown))}. It accepts: "
            f"{', '.join(sorted(by_name))} (`tfgan-suite list --options {variant}` explains them).")
    for key, value in options.items():
        by_name[key].check(value)


def check_options(variant, cls, options):
    """`check_declared` for the variant class `cls`."""
    check_declared(variant, variant_options(cls), options)


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
