"""The import graph of the root packages: no module imports itself back through others,
and every module sits in one layer of the import-linter ``layers`` contract.

``lint-imports`` checks that imports point down the layers; it cannot see a cycle
inside a layer (the services' modules may import each other) and it says nothing
about a module the contract does not list. These tests close both gaps. Like the
contracts, they leave out imports under ``if TYPE_CHECKING:``: those never run.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
IMPORTLINTER: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"][
    "importlinter"
]
ROOT_PACKAGES: list[str] = IMPORTLINTER["root_packages"]
# ``qa_engine`` holds two layers (``qa_engine.entry`` on top, the services below),
# so its own ``__init__`` belongs to neither: it must stay free of imports.
HOLDERS = {"qa_engine"}


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*ROOT_PACKAGES, exclude_type_checking_imports=True, cache_dir=None)


def _layers() -> list[list[str]]:
    (contract,) = (c for c in IMPORTLINTER["contracts"] if c["type"] == "layers")
    layers = []
    for layer in contract["layers"]:
        names = layer.replace("|", ":").split(":")
        layers.append([name.strip().strip("()") for name in names])
    return layers


def _strongly_connected(graph: grimp.ImportGraph) -> Iterator[set[str]]:
    """Tarjan's algorithm, iteratively: each group of modules that import each other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    work: list[tuple[str, Iterator[str]]] = []  # the depth-first path, with what is left to visit

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        work.append((module, iter(sorted(graph.find_modules_directly_imported_by(module)))))

    for start in sorted(graph.modules):
        if start in index:
            continue
        visit(start)
        while work:
            module, imported = work[-1]
            for other in imported:
                if other not in index:
                    visit(other)
                    break
                if other in on_stack:
                    low[module] = min(low[module], index[other])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[module])
                if low[module] == index[module]:
                    group = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.add(member)
                        if member == module:
                            break
                    yield group


def _one_cycle(graph: grimp.ImportGraph, group: set[str]) -> list[str]:
    """A concrete cycle through the group: ``a -> b -> ... -> a``."""
    first = min(group)
    following = min(m for m in graph.find_modules_directly_imported_by(first) if m in group)
    back = graph.find_shortest_chain(importer=following, imported=first)
    assert back is not None
    return [first, *back]


def _render(cycles: Iterable[list[str]]) -> str:
    return "\n".join("  " + " -> ".join(cycle) for cycle in cycles)


def test_no_module_imports_itself_back_through_others(graph: grimp.ImportGraph) -> None:
    cycles = [_one_cycle(graph, group) for group in _strongly_connected(graph) if len(group) > 1]
    assert not cycles, (
        "import cycles (move the shared piece down into a module both import):\n" + _render(cycles)
    )


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = grimp.ImportGraph()
    for module in ("p", "p.a", "p.b", "p.c", "p.d"):
        graph.add_module(module)
    graph.add_import(importer="p.a", imported="p.b")
    graph.add_import(importer="p.b", imported="p.c")
    graph.add_import(importer="p.c", imported="p.a")
    graph.add_import(importer="p.c", imported="p.d")
    groups = [g for g in _strongly_connected(graph) if len(g) > 1]
    assert groups == [{"p.a", "p.b", "p.c"}]
    assert _one_cycle(graph, groups[0]) == ["p.a", "p.b", "p.c", "p.a"]


def test_every_module_sits_in_exactly_one_layer(graph: grimp.ImportGraph) -> None:
    layered = [name for layer in _layers() for name in layer]
    places: dict[str, list[str]] = {}
    for module in sorted(graph.modules):
        if module in HOLDERS:
            continue
        places[module] = [
            name for name in layered if module == name or module.startswith(name + ".")
        ]
    missing = [m for m, found in places.items() if not found]
    twice = {m: found for m, found in places.items() if len(found) > 1}
    assert not missing, (
        "modules in no layer of the import-linter layers contract (pyproject.toml): "
        f"add each to the layer it belongs to: {missing}"
    )
    assert not twice, f"modules in more than one layer: {twice}"


def test_the_layer_holders_import_nothing(graph: grimp.ImportGraph) -> None:
    for holder in HOLDERS:
        assert graph.find_modules_directly_imported_by(holder) == set()


def test_the_layers_contract_names_only_modules_that_exist(graph: grimp.ImportGraph) -> None:
    unknown = [name for layer in _layers() for name in layer if name not in graph.modules]
    assert not unknown, f"the layers contract names modules that do not exist: {unknown}"
