"""Declared options (`OPTIONS` in each variant's file, `tfgan_suite.core.options`): every
declaration matches the keyword its code takes (name and default), the catalog the command line
reads and docs/variants.md's tables are the declarations, and a value of the wrong type is one
line naming the option and the type it expects."""

import json

import pytest

from tfgan_suite.cli import catalog
from tfgan_suite.core.options import (SET_BY_THE_RUN, Option, accepted_parameters,
                                      check_declared, variant_options)
from tfgan_suite.models import VARIANTS
from tfgan_suite.models.wgan import WGAN

REGENERATE = "run `python -m tfgan_suite.cli.catalog` to write them from the code"


def disagreements(cls):
    """{option: (declared default, the code's default)} where `cls`'s declaration and its code
    differ; an option the code takes but nobody declares (or the reverse) shows "missing"."""
    code = {}
    for name, default in accepted_parameters(cls).items():
        if name in SET_BY_THE_RUN or name in cls.fixed_options():
            continue
        # A keyword default of None stands for the class's own value (`n_critic`, `default_loss`).
        for attribute in (name, f"default_{name}"):
            value = getattr(cls, attribute, None)
            if default is None and value is not None and not callable(value):
                default = value
        code[name] = default
    declared = {option.name: option.default for option in variant_options(cls)}
    return {name: (declared.get(name, "missing"), code.get(name, "missing"))
            for name in declared.keys() | code.keys()
            if declared.get(name, "missing") != code.get(name, "missing")}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_each_declared_option_is_a_keyword_of_the_code_with_its_default(variant):
    assert disagreements(VARIANTS[variant]) == {}


def test_a_declaration_that_drifted_from_the_code_is_caught():
    class Drifted(WGAN):  # declares a default its code lacks, takes a keyword nobody declares
        __module__ = WGAN.__module__  # the keyword chain is followed within the package
        OPTIONS = (Option("n_critic", int, 3, "Critic steps."),)

        def __init__(self, *args, undeclared_knob=1, **kwargs):
            super().__init__(*args, **kwargs)

    assert disagreements(Drifted) == {"n_critic": (3, 5), "undeclared_knob": ("missing", 1)}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_each_option_says_what_it_does_in_one_sentence(variant):
    for option in variant_options(VARIANTS[variant]):
        assert option.help.endswith(".") and len(option.help) <= 260, (option.name, option.help)
        assert option.help[0].isupper(), (option.name, option.help)
        assert option.default is None or option.accepts(option.default), option


def test_the_catalog_is_the_declarations():
    built = json.loads(json.dumps(catalog.built_catalog()))  # as JSON reads it back
    assert built == json.loads(catalog.CATALOG_FILE.read_text()), (
        f"{catalog.CATALOG_FILE.name} differs from the variants' declarations: {REGENERATE}")


def test_docs_variants_tables_are_the_declarations():
    text = catalog.VARIANTS_DOC.read_text()
    documented_variants = {block[2] for block in catalog.DOC_BLOCK.finditer(text)}
    assert documented_variants == set(VARIANTS), sorted(documented_variants ^ set(VARIANTS))
    assert catalog.documented(text, catalog.read_catalog()) == text, (
        f"docs/variants.md's option tables differ from the declarations: {REGENERATE}")
    # The check can fail: a table with a changed default is not the declaration.
    changed = text.replace("| `n_critic` | an integer | `5` |", "| `n_critic` | an integer | `4` |")
    assert changed != text and catalog.documented(changed, catalog.read_catalog()) != changed


WGAN_OPTIONS = variant_options(WGAN)


@pytest.mark.parametrize("options, message", [
    ({"n_critic": "abc"}, "--set n_critic expects an integer, got 'abc'"),
    ({"n_critic": 2.5}, "--set n_critic expects an integer, got 2.5"),
    ({"n_critic": True}, "--set n_critic expects an integer, got true"),
    ({"clip_value": "x"}, "--set clip_value expects a number, got 'x'"),
    ({"n_critic": None}, "--set n_critic expects an integer, got null"),
    ({"augment": "mixup"}, '--set augment expects one of "diffaugment", "ada" or null, got \'mixup\''),
    ({"loss": "hinge"}, "wgan has no option 'loss'. It accepts: ada_kimg"),
    ({"seed": 1}, "'seed' is not a --set option: it is set by --seed"),
])
def test_a_wrong_value_is_one_line_naming_the_option_and_its_type(options, message):
    with pytest.raises(ValueError) as error:
        check_declared("wgan", WGAN_OPTIONS, options)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_right_values_pass():  # an integer is a number too; null where the default is null
    check_declared("wgan", WGAN_OPTIONS, {"n_critic": 3, "clip_value": 1, "augment": "ada",
                                          "ema_decay": None})
