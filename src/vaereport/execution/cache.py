"""Content-addressed cache keys: a hash of everything an analysis's outputs depend on.

The key covers the analysis's code cells (parsed, so comments and formatting do not count), the
project modules it imports (transitively, also parsed), the validated parameters, the datasets'
content checksums, the versions of the packages that compute the numbers, and the keys of the
analyses whose outputs it reads.
"""

from __future__ import annotations

import ast
import hashlib
import json
from pathlib import Path

from ..paths import PACKAGE_DIR


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def normalised_code(source: str) -> str:
    """The AST of Python source: unchanged by comments, blank lines and formatting."""
    return ast.dump(ast.parse(source), annotate_fields=False, include_attributes=False)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def script_code_cells(source: str) -> list[str]:
    """The code cells of a percent-format script's text (markdown cells are not executed)."""
    import jupytext

    notebook = jupytext.reads(source, fmt="py:percent")
    return [c.source for c in notebook.cells if c.cell_type == "code"]


def module_path(name: str, root: Path | None = None) -> Path | None:
    """The file of project module `name` ('training', or 'science.training' in a sub-package; a package is
    its __init__.py), or None if the package has no such module."""
    base = (root or PACKAGE_DIR).joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _imported_modules(tree: ast.AST, here: tuple[str, ...] = (), package: str = "vaereport",
                      root: Path | None = None) -> set[str]:
    """Dotted names (relative to the package) of the project modules `tree` imports; `here` is the package
    path of the importing module (() for a top-level module or a script), for relative imports."""
    found: set[str] = set()

    def add(parts: list[str], names: list[str]) -> None:
        for n in names:  # `from x import y`: y is a module of x, or a name defined in x
            if n != "*" and module_path(".".join([*parts, n]), root):
                found.add(".".join([*parts, n]))
            elif parts and module_path(".".join(parts), root):
                found.add(".".join(parts))
        for i in range(1, len(parts) + 1):  # importing from a.b runs a/__init__.py and a/b/__init__.py first
            if (root or PACKAGE_DIR).joinpath(*parts[:i], "__init__.py").is_file():
                found.add(".".join(parts[:i]))

    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(here[:len(here) - (node.level - 1)]) if node.level - 1 <= len(here) else []
                add(base + (node.module.split(".") if node.module else []), [a.name for a in node.names])
            elif node.module and (node.module == package or node.module.startswith(package + ".")):
                add(node.module.split(".")[1:], [a.name for a in node.names])
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith(package + "."):
                    parts = a.name.split(".")[1:]
                    add(parts[:-1], [parts[-1]])
    return {n for n in found if n and module_path(n, root)}


def module_closure(sources: list[str], root: Path | None = None) -> list[str]:
    """Dotted names of the project modules the given code imports, directly or through other modules."""
    todo = set().union(*(_imported_modules(ast.parse(s), root=root) for s in sources)) if sources else set()
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        seen.add(name)
        path = module_path(name, root)
        here = tuple(name.split(".")) if path.name == "__init__.py" else tuple(name.split(".")[:-1])
        todo |= _imported_modules(ast.parse(path.read_text()), here, root=root) - seen
    return sorted(seen)


def _module_code(name: str) -> str:
    return normalised_code(module_path(name).read_text())


def module_components(source: str) -> dict[str, str]:
    """Hashes of a script's code cells and of the project modules they import (parsed)."""
    cells = script_code_cells(source)
    modules = module_closure(cells)
    return {
        "script": sha256_text("\n".join(normalised_code(c) for c in cells)),
        "modules": sha256_text(json.dumps(
            {m: _module_code(m) for m in modules}, sort_keys=True)),
    }


def code_component(modules: list[str]) -> str:
    """Hash of the named project modules ('outputs', 'figures.plots') and of every project module they
    import (parsed). A name that is no module of the package is an error, not silently left out of the key."""
    missing = [m for m in modules if module_path(m) is None]
    if missing:
        raise ValueError(f"no such module in the package: {', '.join(missing)}")
    closure = module_closure([f"from vaereport{'.' + m.rpartition('.')[0] if '.' in m else ''} import {m.rpartition('.')[2]}"
                              for m in modules])
    return sha256_text(json.dumps({m: _module_code(m) for m in closure}, sort_keys=True))


def key_components(source: str, params: dict, data_checksums: dict, versions: dict,
                   upstream_keys: dict) -> dict[str, str]:
    """One hash per kind of dependency, so a stale output can say what changed. `source` is the text
    of the percent-format script that will be executed; `params` exactly the values injected into it."""
    return {
        **module_components(source),
        "params": sha256_text(json.dumps(params, sort_keys=True)),
        "data": sha256_text(json.dumps(data_checksums, sort_keys=True)),
        "packages": sha256_text(json.dumps(versions, sort_keys=True)),
        "upstream": upstream_component(upstream_keys),
    }


def upstream_component(upstream_keys: dict) -> str:
    """The key's hash of what a run read upstream: upstream name -> digest of the arrays that run exports."""
    return sha256_text(json.dumps(upstream_keys, sort_keys=True))


def combine(components: dict[str, str]) -> str:
    return sha256_text(json.dumps(components, sort_keys=True))[:16]


def arrays_digest(folder: Path) -> str:
    """Content hash of the arrays in every .npz under `folder` (names, dtypes, shapes, bytes).

    Zip containers carry timestamps, so the files' bytes differ between identical runs; their arrays
    do not. Downstream analyses are keyed on this, so re-running an upstream analysis that exports the
    same arrays does not invalidate them.
    """
    import numpy as np

    h = hashlib.sha256()
    for path in sorted(Path(folder).glob("*.npz")):
        with np.load(path) as data:
            for name in sorted(data.files):
                arr = data[name]
                h.update(f"{path.name}:{name}:{arr.dtype.str}:{arr.shape}".encode())
                h.update(np.ascontiguousarray(arr).tobytes())
    return h.hexdigest()
