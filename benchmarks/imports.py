"""The shape of the package:  python benchmarks/imports.py [PACKAGE_DIR]

Reads every module of tinynet/ with ast (nothing is imported or run) and prints:
- the import circles (strongly connected parts of the import graph, imports inside functions
  included, since they run too);
- the commands (modules with `if __name__ == "__main__"`) that import another command;
- the largest function (in lines) and the most complex one (McCabe, as ruff's C901 counts it:
  1 + each if, elif, for, while, except, case and nested def; a nested function's count adds in).

Run it on two checkouts to compare them: python benchmarks/imports.py /work/main/tinynet
"""

import ast
import sys
from pathlib import Path

BRANCHES = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.ExceptHandler, ast.FunctionDef)
BRANCHES += (ast.AsyncFunctionDef, getattr(ast, "match_case", ast.If))


def module_name(path, root):
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported(node, here, is_package, modules):
    """The modules of the package that one import statement names."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name in modules]
    if node.level:
        base = here.split(".")
        base = base[: len(base) - node.level + (1 if is_package else 0)]
        prefix = ".".join(base + ([node.module] if node.module else []))
    else:
        prefix = node.module or ""
    found = [f"{prefix}.{a.name}" for a in node.names if f"{prefix}.{a.name}" in modules]
    if len(found) < len(node.names) and prefix in modules:
        found.append(prefix)
    return found


def graph(root):
    files = {module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    edges, commands, trees = {}, set(), {}
    for name, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        trees[name] = tree
        is_package = path.name == "__init__.py"
        targets = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                found = imported(node, name, is_package, files)
                if id(node) in inside_functions(tree):
                    DEFERRED.update((name, target) for target in found)
                else:
                    targets.update(found)
        if any(isinstance(n, ast.If) and "__main__" in ast.dump(n.test) for n in tree.body):
            commands.add(name)  # (only a module-level `if __name__ == "__main__":`)
        targets.discard(name)
        edges[name] = sorted(targets)
    return edges, commands, trees


DEFERRED = set()  # (module, target): imports inside a function, run only when it is called


def inside_functions(tree):
    """The ids of the import statements that stand inside a function (not run at import)."""
    ids = set()
    for f in ast.walk(tree):
        if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)):
            ids.update(id(n) for n in ast.walk(f) if isinstance(n, (ast.Import, ast.ImportFrom)))
    return ids


def reachable(edges, start):
    """Every module that `start` imports, directly or through others."""
    seen, todo = set(), [start]
    while todo:
        for b in edges.get(todo.pop(), ()):
            if b not in seen:
                seen.add(b)
                todo.append(b)
    return seen


def circles(edges):
    """Tarjan's strongly connected components with more than one module."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                part.append(w)
                if w == v:
                    break
            if len(part) > 1:
                found.append(sorted(part))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def complexity(function):
    n = 1
    for node in ast.walk(function):
        if node is not function and isinstance(node, BRANCHES):
            n += 1
    return n


def functions(trees):
    """(lines, complexity, where) for every function and method."""
    for name, tree in trees.items():
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                yield lines, complexity(node), f"{name}.{node.name} (line {node.lineno:d})"


def main(argv):
    root = Path(argv[0] if argv else Path(__file__).resolve().parent.parent / "tinynet").resolve()
    edges, commands, trees = graph(root)
    found = circles(edges)
    print(f"modules: {len(edges):d}, imports: {sum(map(len, edges.values())):d}")
    print(f"import circles (imports run when a module is imported): {len(found):d}")
    for part in found:
        print("  " + " ↔ ".join(part))
    every = {a: set(bs) for a, bs in edges.items()}
    for a, b in DEFERRED:
        every[a].add(b)
    back = sorted((a, b) for a, b in DEFERRED if a != b and a in reachable(every, b))
    print(f"imports inside a function that run back up the graph: {len(back):d}")
    for a, b in back:
        print(f"  {a} → {b}")
    crossing = [(a, b) for a in sorted(commands) for b in edges[a] if b in commands]
    print(f"commands importing a command: {len(crossing):d}")
    for a, b in crossing:
        print(f"  {a} → {b}")
    every = list(functions(trees))
    longest = max(every)
    knottiest = max(every, key=lambda f: (f[1], f[0]))
    print(f"largest function: {longest[2]}: {longest[0]:d} lines, complexity {longest[1]:d}")
    print(f"most complex: {knottiest[2]}: complexity {knottiest[1]:d}, {knottiest[0]:d} lines")
    over = sorted((f for f in every if f[0] > 60 or f[1] > 15), reverse=True)
    print(f"functions over 60 lines or complexity 15: {len(over):d}")
    for lines, c, where in over:
        print(f"  {where}: {lines:d} lines, complexity {c:d}")


if __name__ == "__main__":
    main(sys.argv[1:])
