"""List the functions in src/ over the size limits of the design guide, and the modules over 400 lines.

A function counts its lines from ``def`` to its last line, without its docstring; its parameters are every
argument except ``self``/``cls`` (``*args`` and ``**options`` count as one each, a settings object as one).
Typer command functions (``cli/``), whose parameters are the command's options, and the constructors in
``ALLOWED`` (see docs/architecture.md) are listed apart: they may exceed the parameter limit.

Usage: ``python bench/structure.py [--lines 80] [--params 10] [--module-lines 400] [src]``; exits 1 when
something other than a CLI command's parameter count is over a limit.
"""

from __future__ import annotations

import argparse
import ast
import sys
from dataclasses import dataclass
from pathlib import Path

# (module path suffix, function): why it may take more than the limit's parameters
ALLOWED = {
    ("systems/protocol.py", "__init__"): "System's constructor: its keywords are the system's documented attributes",
}


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    name: str
    lines: int
    params: int
    cli: bool


def _docstring_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    first = node.body[0] if node.body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        return first.end_lineno - first.lineno + 1
    return 0


def _params(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    a = node.args
    names = [p.arg for p in a.posonlyargs + a.args + a.kwonlyargs]
    return len([n for n in names if n not in ("self", "cls")]) + (a.vararg is not None) + (a.kwarg is not None)


def _is_cli_command(path: Path, node) -> bool:
    """A function registered as a typer command: it lives in cli/ and has typer.Option/Argument defaults."""
    if "cli" not in path.parts:
        return False
    defaults = node.args.defaults + [d for d in node.args.kw_defaults if d is not None]
    annotations = [p.annotation for p in node.args.args + node.args.kwonlyargs if p.annotation is not None]
    return any("typer." in ast.unparse(d) for d in defaults + annotations)


def scan(root: Path) -> tuple[list[Finding], list[tuple[str, int]]]:
    functions, modules = [], []
    for path in sorted(root.rglob("*.py")):
        text = path.read_text()
        modules.append((str(path), len(text.splitlines())))
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1 - _docstring_lines(node)
                allowed = any(str(path).endswith(p) and node.name == n for p, n in ALLOWED)
                functions.append(Finding(str(path), node.lineno, node.name, lines, _params(node),
                                         _is_cli_command(path, node) or allowed))
    return functions, modules


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", nargs="?", default="src")
    ap.add_argument("--lines", type=int, default=80)
    ap.add_argument("--params", type=int, default=10)
    ap.add_argument("--module-lines", type=int, default=400)
    args = ap.parse_args(argv)
    functions, modules = scan(Path(args.root))
    bad = 0
    long_ = [f for f in functions if f.lines > args.lines]
    wide = [f for f in functions if f.params > args.params and not f.cli]
    cli = [f for f in functions if f.params > args.params and f.cli]
    big = [(p, n) for p, n in modules if n > args.module_lines]
    for title, rows in ((f"functions over {args.lines} lines (without docstring)", long_),
                        (f"functions over {args.params} parameters", wide)):
        print(f"{title}: {len(rows)}")
        for f in rows:
            print(f"  {f.path}:{f.line} {f.name}: {f.lines} lines, {f.params} parameters")
        bad += len(rows)
    print(f"modules over {args.module_lines} lines: {len(big)}")
    for p, n in big:
        print(f"  {p}: {n} lines")
    bad += len(big)
    print(f"CLI command functions and ALLOWED constructors over {args.params} parameters (documented exceptions): "
          f"{len(cli)}")
    for f in cli:
        print(f"  {f.path}:{f.line} {f.name}: {f.params} parameters")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
