"""The package layout is the architecture: each folder of `tfgan_suite` imports only from itself
and the folders below it, no modules import each other in a cycle, and the library stays free of
the serving stack (`export/` and `serving/` are joined to it by the command line only)."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Bottom to top: a module may import from its own folder and from the ones before it.
LAYERS = ("losses", "networks", "core", "distribute", "models", "data", "metrics", "training",
          "cli")


def module_name(path):
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path):
    """Every module `path` imports, at the top or inside a function (absolute names)."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def project_imports():
    """{module: set of project modules it imports}, over tfgan_suite, export and serving."""
    paths = [p for package in ("tfgan_suite", "export", "serving")
             for p in (ROOT / package).rglob("*.py")]
    modules = {module_name(p): p for p in paths}
    return {name: {m for m in imported_modules(path) if m in modules and m != name}
            for name, path in modules.items()}


def layer(module):
    parts = module.split(".")
    return LAYERS.index(parts[1]) if parts[0] == "tfgan_suite" and len(parts) > 1 else None


def test_every_folder_of_the_package_is_a_layer():
    folders = {p.parent.name for p in (ROOT / "tfgan_suite").glob("*/__init__.py")}
    loose = {p.stem for p in (ROOT / "tfgan_suite").glob("*.py")} - {"__init__"}
    assert folders | loose == set(LAYERS), "add the new folder to LAYERS (and docs/architecture.md)"
    assert loose == {"distribute"}, f"a module belongs in a folder: {sorted(loose - {'distribute'})}"


def test_no_module_imports_a_layer_above_its_own():
    upward = [f"{module} -> {imported}" for module, imports in project_imports().items()
              if layer(module) is not None for imported in imports
              if layer(imported) is not None and layer(imported) > layer(module)]
    assert not upward, upward


def test_only_the_command_line_and_export_import_the_serving_stack():
    imports = project_imports()
    serving_users = {module for module, found in imports.items()
                     if any(m.split(".")[0] in ("serving", "export") for m in found)
                     and module.split(".")[0] == "tfgan_suite"}
    assert all(module.startswith("tfgan_suite.cli") for module in serving_users), serving_users
    assert not [m for m in imports if m.startswith("serving")
                and any(i.split(".")[0] in ("tfgan_suite", "export") for i in imports[m])]


def test_no_import_cycle():
    """Counting imports inside functions too: a lazy import can hide a cycle, not remove it."""
    imports = project_imports()
    edges = {m: {p for i in found for p in _with_parents(i, m) if p in imports and p != m}
             for m, found in imports.items()}
    state, cycles = {}, []

    def visit(module, path):
        state[module] = "open"
        for target in sorted(edges[module]):
            if state.get(target) == "open":
                cycles.append(path[path.index(target):] + [target])
            elif target not in state:
                visit(target, path + [target])
        state[module] = "done"

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    assert not cycles, cycles


def _with_parents(module, importer):
    """`module` and the packages whose `__init__` importing it runs, but not the importer's own
    packages (already being imported when the importer runs)."""
    parts = module.split(".")
    packages = {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
    return {p for p in packages if not (importer + ".").startswith(p + ".")}


def test_importing_the_library_pulls_in_no_grpc_nor_serving():
    code = ("import sys, tfgan_suite; tfgan_suite.build_model;"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'grpc', 'serving', 'export'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
