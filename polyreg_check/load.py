"""Read a certificate file, gzip-compressed or plain, into JSON."""
import gzip
import json
import sys
import zlib
from contextlib import contextmanager

UNREADABLE = (OSError, ValueError, EOFError, zlib.error)     # what ``load`` raises for a file it cannot read


@contextmanager
def deep_recursion():
    """Let the block recurse 100000 deep: JSON and the tree walk nest one level per split."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 100000))
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)


def load(path):
    """The JSON of the file at ``path``; a float stays a string, so ``num`` refuses it (rule 1)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    with deep_recursion():
        return json.loads(data, parse_float=lambda s: s)
