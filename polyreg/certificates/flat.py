"""Format 2 certificates (``polyreg_check/SPEC.md``, "Format 2"): JSON Lines, a header and then every tree node on
a line of its own in the order the checker walks them, so the checker reads them one at a time.

``flat_lines`` writes a format 1 document that way; ``nested`` reads one back (for reports).
"""
from __future__ import annotations

import json
from typing import Any, Callable, Iterator

from polyreg_check.schema import FORMAT_2, SUBTREE

from .trees import Lines, TreeOf, node_lines


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def flat_lines(cert: dict[str, Any]) -> Iterator[str | Lines]:
    """Format 2 (``polyreg_check/SPEC.md``): the header, ``cert`` without its trees and with ``"format"`` first; then
    each tree's nodes, one per line, in the order the checker walks them (a split's subtrees as ``"subtree"``)."""
    trees: list[Any] = []

    def without_tree(case: dict[str, Any]) -> dict[str, Any]:
        trees.append(case["tree"])
        return {key: value for key, value in case.items() if key != "tree"}

    header = without_tree(cert) if "tree" in cert else dict(cert)
    if "cases" in header:
        header["cases"] = [without_tree(case) for case in header["cases"]]
    if "parts" in header:
        header["parts"] = [{**part, "cases": [without_tree(case) for case in part["cases"]]}
                           for part in header["parts"]]
    yield compact({"format": FORMAT_2, **{key: value for key, value in header.items() if key != "format"}})
    for tree in trees:
        yield from tree_lines(tree)


def tree_lines(tree: Any) -> Iterator[str | Lines]:
    """A tree's nodes in preorder, one JSON line each, without recursion."""
    if isinstance(tree, TreeOf):
        yield from node_lines(tree.cpwl)
        return
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict) and "split" in node:
            subtrees = [child for child in node["split"] if isinstance(child, dict) and "prune" not in child]
            yield compact({**node, "split": [SUBTREE if isinstance(child, dict) and "prune" not in child else child
                                             for child in node["split"]]})
            stack.extend(reversed(subtrees))
        else:
            yield compact(node)


def nested(header: dict[str, Any], next_node: Callable[[], Any]) -> dict[str, Any]:
    """The format 1 document of a format 2 file: ``header`` with each case's tree rebuilt from ``next_node()``."""
    document = {**header, "format": "polyreg.certificate/1"}
    if "cases" in document:
        document["cases"] = [{**case, "tree": nested_tree(next_node)} for case in document["cases"]]
    elif "parts" in document:
        document["parts"] = [{**part, "cases": [{**case, "tree": nested_tree(next_node)} for case in part["cases"]]}
                             for part in document["parts"]]
    elif "order" in document:
        document["tree"] = nested_tree(next_node)
    return document


def nested_tree(next_node: Callable[[], Any]) -> Any:
    """One tree from its nodes in preorder, each ``"subtree"`` child replaced by the next node (no recursion)."""
    root = next_node()
    stack = [(root, 0)]
    while stack:
        node, k = stack.pop()
        children = node.get("split") if isinstance(node, dict) else None
        while children is not None and k < len(children) and children[k] != SUBTREE:
            k += 1
        if children is None or k == len(children):
            continue
        children[k] = child = next_node()
        stack += [(node, k + 1), (child, 0)]
    return root
