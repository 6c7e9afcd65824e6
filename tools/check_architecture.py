"""Check the architecture rules of refund-sync by reading the source with ``ast``.

Run from anywhere as ``python tools/check_architecture.py [--root DIR]``. Prints one line per
violation as ``path:line: message`` and exits 1 if there is any, 0 otherwise. Stdlib only.

Rules:

* ``src/refund_core`` is pure: it may import only the standard library, ``attrs``/``attr``,
  ``cattrs`` and itself; and even from the standard library nothing that does I/O, reads a clock
  or draws randomness (:data:`FORBIDDEN_STDLIB`). It must not call ``datetime.now()``,
  ``datetime.utcnow()``, ``date.today()``, any ``.now()``/``.today()``, nor the builtins
  ``open``, ``print`` and ``input``.
* Each direct subpackage of ``src/refund_adapters`` (``stripe``, ``netsuite``, ... discovered
  from disk) must not import a sibling subpackage. The composition roots are the exception,
  layered top down (:data:`COMPOSITION_ROOTS`): ``cli`` (the command line), ``demo`` (the demo
  world and its stand-ins) and ``wiring`` (adapters built from configuration). A root may import
  every sibling and the roots below it; no other subpackage may import a root. Modules directly
  in ``src/refund_adapters`` (``__init__.py``, ``_util.py``, ...) are shared: any subpackage may
  import them, and they must not import a subpackage themselves (that would let a sibling reach
  another through them). ``refund_adapters/__main__.py`` is an entry point and may import ``cli``.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

CORE = "refund_core"
ADAPTERS = "refund_adapters"
#: The subpackages that wire adapters together, top down: each may import the ones after it.
COMPOSITION_ROOTS = ("cli", "demo", "wiring")

#: Third-party top-level modules refund_core may import, besides the stdlib and itself.
CORE_ALLOWED_THIRD_PARTY = frozenset({"attrs", "attr", "cattrs"})

#: Stdlib modules that do I/O, read clocks or draw randomness: banned from refund_core.
FORBIDDEN_STDLIB = frozenset(
    {
        "asyncio",
        "http",
        "io",
        "logging",
        "multiprocessing",
        "os",
        "pathlib",
        "random",
        "secrets",
        "select",
        "shutil",
        "socket",
        "sqlite3",
        "ssl",
        "subprocess",
        "sys",
        "tempfile",
        "threading",
        "time",
        "urllib",
        "uuid",
    }
)

#: Builtins that do I/O.
FORBIDDEN_BUILTIN_CALLS = frozenset({"open", "print", "input"})

#: Methods that read the clock (``datetime.now()``, ``date.today()``, ``clock.now()`` ...).
CLOCK_METHODS = frozenset({"now", "utcnow", "today"})

#: Names a clock method is looked up on when it is referenced without a call
#: (e.g. ``attrs.field(factory=datetime.now)``).
CLOCK_OWNERS = frozenset({"datetime", "date"})

_CLOCK_HINT = "take the current time as an argument"


class Violation(NamedTuple):
    """One broken rule at one place in the source."""

    path: Path
    line: int
    message: str

    def format(self, root: Path) -> str:
        """Render as ``path:line: message`` with ``path`` relative to ``root`` if possible."""
        try:
            shown = self.path.relative_to(root)
        except ValueError:
            shown = self.path
        return f"{shown.as_posix()}:{self.line}: {self.message}"


class ImportRef(NamedTuple):
    """An absolute module imported at a line (``from a import b`` yields ``a`` and ``a.b``)."""

    line: int
    module: str


def _python_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*.py") if p.is_file())


def _module_name(path: Path, src: Path) -> tuple[str, bool]:
    """Return the dotted module name of ``path`` under ``src`` and whether it is a package."""
    parts = list(path.relative_to(src).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts.pop()
    return ".".join(parts), is_package


def _parse(path: Path) -> ast.Module | Violation:
    try:
        return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except SyntaxError as exc:
        return Violation(path, exc.lineno or 1, f"cannot parse: {exc.msg}")
    except (OSError, UnicodeDecodeError) as exc:
        return Violation(path, 1, f"cannot read: {exc}")


def iter_imports(tree: ast.AST, module: str, is_package: bool) -> Iterator[ImportRef]:
    """Yield every module an ``import``/``from`` statement names, relative imports resolved.

    For ``from pkg import name`` both ``pkg`` and ``pkg.name`` are yielded, because ``name`` may
    be a submodule; callers look only at the prefixes they care about.
    """
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield ImportRef(node.lineno, alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".") if package else []
                keep = len(base_parts) - (node.level - 1)
                if keep <= 0:
                    continue  # beyond the top-level package: Python itself rejects it
                base = ".".join(base_parts[:keep])
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            yield ImportRef(node.lineno, target)
            for alias in node.names:
                if alias.name != "*":
                    yield ImportRef(node.lineno, f"{target}.{alias.name}")


def _top(module: str) -> str:
    return module.partition(".")[0]


def _core_import_problem(module: str) -> str | None:
    top = _top(module)
    if top == CORE or top in CORE_ALLOWED_THIRD_PARTY:
        return None
    if top in FORBIDDEN_STDLIB:
        return (
            f"refund_core must not import '{module}' "
            "(a stdlib module that does I/O, reads clocks or draws randomness)"
        )
    if top in sys.stdlib_module_names:
        return None
    return (
        f"refund_core must not import '{module}' "
        "(allowed: the stdlib, attrs, cattrs and refund_core itself)"
    )


def _core_call_problems(tree: ast.AST) -> Iterator[tuple[int, str]]:
    called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in FORBIDDEN_BUILTIN_CALLS:
                yield node.lineno, f"refund_core must not call builtin '{func.id}()' (I/O)"
            elif isinstance(func, ast.Attribute) and func.attr in CLOCK_METHODS:
                what = f"call '{ast.unparse(func)}()'"
                yield node.lineno, f"refund_core must not {what} (reads the clock; {_CLOCK_HINT})"
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.ctx, ast.Load)
            and node.attr in CLOCK_METHODS
            and _attribute_tail(node.value) in CLOCK_OWNERS
            and id(node) not in called
        ):
            what = f"use '{ast.unparse(node)}'"
            yield node.lineno, f"refund_core must not {what} (reads the clock; {_CLOCK_HINT})"


def _attribute_tail(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def check_core(core_dir: Path) -> list[Violation]:
    """Check that every module in the ``refund_core`` package at ``core_dir`` is pure."""
    violations: list[Violation] = []
    src = core_dir.parent
    for path in _python_files(core_dir):
        tree = _parse(path)
        if isinstance(tree, Violation):
            violations.append(tree)
            continue
        module, is_package = _module_name(path, src)
        seen: set[tuple[int, str]] = set()
        for ref in iter_imports(tree, module, is_package):
            problem = _core_import_problem(ref.module)
            # `from os import path` yields `os` and `os.path`: report the statement once.
            key = (ref.line, _top(ref.module))
            if problem and key not in seen:
                seen.add(key)
                violations.append(Violation(path, ref.line, problem))
        violations.extend(Violation(path, line, msg) for line, msg in _core_call_problems(tree))
    return sorted(violations)


def adapter_subpackages(adapters_dir: Path) -> list[str]:
    """Names of the direct subpackages of ``refund_adapters`` (directories with __init__.py)."""
    return sorted(
        p.name for p in adapters_dir.iterdir() if p.is_dir() and (p / "__init__.py").is_file()
    )


def _subpackage_of(module: str, subpackages: frozenset[str]) -> str | None:
    parts = module.split(".")
    if len(parts) >= 2 and parts[0] == ADAPTERS and parts[1] in subpackages:
        return parts[1]
    return None


def _import_problem(module: str, owner: str | None, target: str) -> str | None:
    """Why ``module`` (in subpackage ``owner``, None when shared) may not import ``target``."""
    if owner is None:
        return (
            f"shared module '{module}' must not import subpackage "
            f"'{ADAPTERS}.{target}' (subpackages build on shared modules, not the reverse)"
        )
    if owner in COMPOSITION_ROOTS:
        if target not in COMPOSITION_ROOTS:
            return None
        if COMPOSITION_ROOTS.index(target) > COMPOSITION_ROOTS.index(owner):
            return None
        return (
            f"composition root '{ADAPTERS}.{owner}' must not import '{ADAPTERS}.{target}', "
            f"which sits above it ({' > '.join(COMPOSITION_ROOTS)})"
        )
    if target in COMPOSITION_ROOTS:
        return f"'{ADAPTERS}.{owner}' must not import the composition root '{ADAPTERS}.{target}'"
    roots = ", ".join(f"'{ADAPTERS}.{root}'" for root in COMPOSITION_ROOTS)
    return (
        f"'{ADAPTERS}.{owner}' must not import sibling '{ADAPTERS}.{target}' "
        f"(only the composition roots {roots} wire adapters together)"
    )


def check_adapters(adapters_dir: Path) -> list[Violation]:
    """Check that the subpackages of ``refund_adapters`` at ``adapters_dir`` stay independent."""
    violations: list[Violation] = []
    src = adapters_dir.parent
    subpackages = frozenset(adapter_subpackages(adapters_dir))
    for path in _python_files(adapters_dir):
        tree = _parse(path)
        if isinstance(tree, Violation):
            violations.append(tree)
            continue
        module, is_package = _module_name(path, src)
        owner = _subpackage_of(module, subpackages)
        if module == f"{ADAPTERS}.__main__":
            continue
        reported: set[tuple[int, str]] = set()
        for ref in iter_imports(tree, module, is_package):
            target = _subpackage_of(ref.module, subpackages)
            if target is None or target == owner or (ref.line, target) in reported:
                continue
            message = _import_problem(module, owner, target)
            if message is None:
                continue
            reported.add((ref.line, target))
            violations.append(Violation(path, ref.line, message))
    return sorted(violations)


def check_tree(root: Path) -> list[Violation]:
    """Run every check on the repository at ``root`` (expects ``src/refund_core`` etc.)."""
    violations: list[Violation] = []
    for name, check in ((CORE, check_core), (ADAPTERS, check_adapters)):
        package = root / "src" / name
        if not (package / "__init__.py").is_file():
            violations.append(Violation(package, 0, f"package '{name}' not found"))
            continue
        violations.extend(check(package))
    return violations


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0] if __doc__ else None)
    parser.add_argument(
        "--root",
        type=Path,
        default=Path(__file__).resolve().parent.parent,
        help="repository root (default: the parent of tools/)",
    )
    args = parser.parse_args(argv)
    root: Path = args.root.resolve()
    violations = check_tree(root)
    for violation in violations:
        print(violation.format(root))
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
