"""No import cycle among the modules of app/ (issue 14): every import counts, including those
inside functions and under ``TYPE_CHECKING``, since each is a dependency someone must read past.

The graph is import-linter's (grimp); the cycles are its strongly connected components.
"""

from __future__ import annotations

import grimp

# Cycles being removed elsewhere, each with who removes it. The test fails when one of them
# disappears too, so the exception is dropped the day it is no longer needed.
KNOWN: set[frozenset[str]] = set()


def cycles(graph: grimp.ImportGraph, package: str) -> list[frozenset[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    modules = sorted(m for m in graph.modules if m == package or m.startswith(package + "."))
    inside = set(modules)
    edges = {m: sorted(graph.find_modules_directly_imported_by(m) & inside) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    for root in modules:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            if i < len(edges[node]):
                work.append((node, i + 1))
                nxt = edges[node][i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(frozenset(component))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = grimp.ImportGraph()
    for name in ("pkg", "pkg.a", "pkg.b", "pkg.c"):
        graph.add_module(name)
    graph.add_import(importer="pkg.a", imported="pkg.b")
    graph.add_import(importer="pkg.b", imported="pkg.a")
    graph.add_import(importer="pkg.b", imported="pkg.c")
    assert cycles(graph, "pkg") == [frozenset({"pkg.a", "pkg.b"})]


def test_app_has_no_import_cycle() -> None:
    found = set(cycles(grimp.build_graph("app"), "app"))
    assert found - KNOWN == set(), "import cycles in app/"
    assert KNOWN - found == set(), "a known cycle is gone: drop it from KNOWN"
