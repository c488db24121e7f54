"""Print the import graph between the apps under okpay/ (module- and function-level imports;
tests and migrations left out) and every cycle in it. Exit status 1 when there is a cycle or when
`core` imports another app. Usage: `.venv/bin/python scripts/app_graph.py [--dot]`."""

import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "okpay"


def app_of(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) >= 2 and parts[0] == "okpay" and (PACKAGE / parts[1]).is_dir():
        return parts[1]
    return None


def edges() -> dict[str, dict[str, set[str]]]:
    graph: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if {"tests", "migrations"} & set(relative.parts):
            continue
        module = ".".join(relative.with_suffix("").parts)
        source = app_of(module)
        if source is None:
            continue
        package = module.rsplit(".", 1)[0] if path.name != "__init__.py" else module
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - (node.level - 1)]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                targets = [target] + [f"{target}.{alias.name}" for alias in node.names]
            for target in targets:
                app = app_of(target)
                if app and app != source:
                    graph[source][app].add(str(relative))
    return graph


def cycles(graph) -> list[list[str]]:
    """Strongly connected components with more than one app (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, {}):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    apps = sorted({p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()})
    for app in apps:
        if app not in index:
            visit(app)
    return found


def main() -> int:
    graph = edges()
    if "--dot" in sys.argv:
        print("digraph apps {")
        for source in sorted(graph):
            for target in sorted(graph[source]):
                print(f'  "{source}" -> "{target}";')
        print("}")
        return 0
    for source in sorted(graph):
        print(f"{source} → {', '.join(sorted(graph[source]))}")
    problems = cycles(graph)
    for component in problems:
        print(f"cycle: {' ↔ '.join(component)}")
        for source in component:
            for target in sorted(set(graph[source]) & set(component)):
                print(f"  {source} → {target}: {', '.join(sorted(graph[source][target]))}")
    upward = sorted(graph.get("core", {}))
    if upward:
        print(f"core imports {', '.join(upward)}: core must import no other app")
    if not problems and not upward:
        print("no cycle; core imports no other app")
    return 1 if problems or upward else 0


if __name__ == "__main__":
    sys.exit(main())
