"""The user documentation stays a guide: README.md short and carrying the two commands users and
CI run, docs/variants.md naming every registered variant, and measurements kept out of the
package's docstrings (they belong in benchmarks/RESULTS.md, with their command and commit)."""

import ast
import inspect
import re
from pathlib import Path

import tfgan_suite

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
MAX_README_LINES = 250
DEMO_COMMAND = ("python3.11 -m venv .venv && .venv/bin/pip install -e . && "
                ".venv/bin/tfgan-suite demo --out demo_out")
# A run's CPU time, as the measurements that used to sit in docstrings wrote it: "~530 CPU s",
# "1448 CPU s", "0.094 CPU-seconds".
CPU_MEASUREMENT = re.compile(r"\bCPU[ -]s(?:ec(?:ond)?s?)?\b", re.IGNORECASE)


def ci_test_command():
    """The command .ci/run greps README.md for (and then runs)."""
    match = re.search(r'^TEST_COMMAND="(.*)"$', (ROOT / ".ci" / "run").read_text(), re.MULTILINE)
    assert match, ".ci/run no longer defines TEST_COMMAND"
    return match.group(1)


def test_readme_is_short():
    lines = len(README.read_text().splitlines())
    assert lines <= MAX_README_LINES, (
        f"README.md has {lines} lines (at most {MAX_README_LINES}): move reference material to "
        "docs/ and measurements to benchmarks/RESULTS.md")


def test_readme_carries_the_ci_test_command_and_the_demo():
    text = README.read_text()
    assert ci_test_command() in text
    assert DEMO_COMMAND in text


def test_readme_links_resolve():
    for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", README.read_text()):
        assert (ROOT / target).exists(), f"README.md links to {target}, which does not exist"


def test_readme_holds_no_cpu_time_measurement():
    assert not CPU_MEASUREMENT.search(README.read_text())


def test_the_measurement_pattern_catches_what_it_is_for():
    for measured in ("(seeds 0 / 1, ~530 CPU s)", "1448 CPU s", "0.094 CPU-seconds"):
        assert CPU_MEASUREMENT.search(measured), measured
    assert not CPU_MEASUREMENT.search("on the CPU, said the docstring")


def docstrings(path):
    """(line, text) of the module's, its classes' and its functions' docstrings."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            text = ast.get_docstring(node, clean=False)
            if text:
                yield (node.body[0].lineno, text)


def test_no_docstring_in_the_package_carries_a_cpu_time_measurement():
    found = [f"{path.relative_to(ROOT)}:{line}"
             for path in sorted((ROOT / "tfgan_suite").rglob("*.py"))
             for line, text in docstrings(path) if CPU_MEASUREMENT.search(text)]
    assert not found, ("run results belong in benchmarks/RESULTS.md (with the command, commit and "
                       f"machine), not in docstrings: {found}")


def variant_sections():
    """{variant: its section of docs/variants.md}, from the `### name` headings."""
    parts = re.split(r"^### (\S+)\s*$", (ROOT / "docs" / "variants.md").read_text(),
                     flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2]))


def test_variants_doc_lists_every_registered_variant_with_its_paper():
    sections = variant_sections()
    missing = sorted(set(tfgan_suite.VARIANTS) - set(sections))
    assert not missing, f"docs/variants.md has no section for {missing}"
    unknown = sorted(set(sections) - set(tfgan_suite.VARIANTS))
    assert not unknown, f"docs/variants.md documents variants that are not registered: {unknown}"
    for name, cls in tfgan_suite.VARIANTS.items():
        paper = inspect.getmodule(cls).__doc__.split("\n\n")[0]
        for arxiv in re.findall(r"arXiv:\d{4}\.\d{4,5}", paper):
            assert arxiv in sections[name], f"docs/variants.md's {name} does not cite {arxiv}"


def test_every_result_names_its_command_commit_and_machine():
    text = (ROOT / "benchmarks" / "RESULTS.md").read_text()
    sections = re.split(r"^#{2,3} ", text, flags=re.MULTILINE)[1:]
    measured = [s for s in sections if "- Command:" in s]
    assert measured, "benchmarks/RESULTS.md records no measurement"
    for section in measured:
        title = section.splitlines()[0]
        for field in ("- Commit:", "- Machine:"):
            assert field in section, f"RESULTS.md, {title!r}: no {field!r} line"
