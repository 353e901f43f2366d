"""Format 2 certificates (SPEC.md, "Format 2"): JSON Lines, read one line at a time, so a certificate of any size is
checked in memory that does not grow with it.

The first line is the header: the format 1 document without its trees. Every later line is one node of the trees,
in the order the walk visits them (depth first, children in order, the cases' trees one after another); a split
names each child that is a subtree ``"subtree"`` instead of nesting it. Each line is bounded by ``max_bytes`` as a
whole format 1 file is, and so is the text of all lines together.
"""
import gzip
import zlib

from .errors import Malformed, wellformed
from .load import load, parse, text_of
from .schema import FORMAT_2

SIGNATURE = ('{"format":"' + FORMAT_2 + '"').encode()      # how a format 2 file begins, exactly


def open_certificate(path, max_bytes):
    """The certificate in the file at ``path`` and the nodes of its trees: (document, None) in format 1, (header,
    ``Records``) in format 2. The caller closes the records."""
    if not is_format_2(path):
        return load(path, max_bytes), None
    nodes = Records(path, max_bytes)
    return nodes.header, nodes


def is_format_2(path):
    """Whether the file (plain or gzip) begins as a format 2 certificate does."""
    with opener(path)(path, "rb") as f:
        try:
            return f.read(len(SIGNATURE)) == SIGNATURE
        except (OSError, EOFError, zlib.error) as err:
            raise Malformed(f"not a readable gzip file ({err})") from None


def opener(path):
    """``gzip.open`` for a gzip file, else ``open``."""
    with open(path, "rb") as f:
        return gzip.open if f.read(2) == b"\x1f\x8b" else open


class Records:
    """The lines of a format 2 file after its header, read on demand (``next_node``), then ``finished``."""

    def __init__(self, path, max_bytes, parse_float=str):
        self.file = opener(path)(path, "rb")
        self.max_bytes, self.parse_float, self.read, self.line = max_bytes, parse_float, 0, 0
        try:
            self.header = self.value()        # a line: the file begins with ``SIGNATURE``
        except Malformed:
            self.close()
            raise

    def value(self):
        """The next line's JSON value, or None at the end of the file."""
        try:
            line = self.file.readline(self.max_bytes + 1 - self.read)
        except (OSError, EOFError, zlib.error) as err:
            raise Malformed(f"not a readable gzip file ({err})") from None
        if not line:
            return None
        self.read, self.line = self.read + len(line), self.line + 1
        wellformed(self.read <= self.max_bytes, f"the file holds more than {self.max_bytes} bytes of JSON (the "
                                                "limit; raise it with --max-bytes)")
        try:
            return parse(text_of(line), self.parse_float)
        except Malformed as err:
            raise Malformed(f"on line {self.line}, {err}") from None

    def next_node(self):
        """The next node of the trees: the file must not end before the trees do."""
        node = self.value()
        wellformed(node is not None, f"the file ends at line {self.line}, before its trees do")
        return node

    def finished(self):
        """Nothing may follow the last tree."""
        wellformed(self.value() is None, f"more lines follow the last tree (line {self.line})")
        self.close()

    def close(self):
        self.file.close()
