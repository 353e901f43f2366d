"""Format 2 certificates (SPEC.md, "Format 2"): JSON Lines, read one line at a time, so a certificate of any size is
checked in memory that does not grow with it.

The first line is the header: the format 1 document without its trees. Every later line is one node of the trees,
in the order the walk visits them (depth first, children in order, the cases' trees one after another); a split
names each child that is a subtree ``"subtree"`` instead of nesting it. Each line is bounded by ``max_bytes`` as a
whole format 1 file is, and so is the text of all lines together. The file is opened once and read forward only, so
it may be a pipe.
"""
import gzip
import zlib

from .errors import Malformed, wellformed
from .load import limited, parse, text_of
from .schema import FORMAT_2

SIGNATURE = ('{"format":"' + FORMAT_2 + '"').encode()      # how a format 2 file begins, exactly
END = object()                                              # ``Records.value`` at the end of the file
GZIP_ERRORS = (EOFError, zlib.error, gzip.BadGzipFile)


def open_certificate(path, max_bytes):
    """The certificate in the file at ``path`` (plain or gzip) and the nodes of its trees: (document, None) in format
    1, (header, ``Records``) in format 2. The caller closes the records."""
    file = open(path, "rb")
    try:
        stream = gzip.GzipFile(fileobj=file) if file.peek(2)[:2] == b"\x1f\x8b" else file
        head = unzipped(stream.read, len(SIGNATURE))
        if head == SIGNATURE:
            nodes = Records(file, stream, head, max_bytes)
            return nodes.header, nodes
        data = head + unzipped(limited, stream, max_bytes - len(head))
    except BaseException:
        file.close()
        raise
    file.close()
    wellformed(len(data) <= max_bytes, f"the file holds more than {max_bytes} bytes of JSON (the limit; raise it "
                                       "with --max-bytes)")
    return parse(text_of(data), str), None


def unzipped(read, *args):
    """``read(*args)``, a gzip stream's faults refused as malformed."""
    try:
        return read(*args)
    except GZIP_ERRORS as err:
        raise Malformed(f"not a readable gzip file ({err})") from None


class Nodes:
    """The nodes of a format 2 file's trees, one per line, from ``raw()`` (the next line's bytes, ``b""`` at the end;
    ``line``: the number of the last line returned)."""

    def value(self):
        """The next line's JSON value, or ``END`` at the end of the file."""
        line = self.raw()
        return parsed_line(line, self.line, self.parse_float) if line else END

    def next_node(self):
        """The next node of the trees: the file must not end before the trees do."""
        node = self.value()
        if node is END:
            raise Malformed(f"the file ends at line {self.line}, before its trees do")
        return node

    def finished(self):
        """Nothing may follow the last tree."""
        wellformed(self.value() is END, f"more lines follow the last tree (line {self.line})")
        self.close()


class Records(Nodes):
    """The lines of a format 2 file after its header, read forward on demand, then ``finished``."""

    def __init__(self, file, stream, head, max_bytes, parse_float=str):
        self.file, self.stream, self.head = file, stream, head
        self.max_bytes, self.parse_float, self.read, self.line = max_bytes, parse_float, 0, 0
        try:
            self.header = self.value()        # a line: the file begins with ``SIGNATURE``
        except Malformed:
            self.close()
            raise

    def raw(self):
        line = self.head + unzipped(self.stream.readline, self.max_bytes + 1 - self.read - len(self.head))
        self.head = b""
        if line:
            self.read, self.line = self.read + len(line), self.line + 1
            if self.read > self.max_bytes:
                raise Malformed(f"the file holds more than {self.max_bytes} bytes of JSON (the limit; raise it with "
                                "--max-bytes)")
        return line

    def close(self):
        self.file.close()


class Lines:
    """The lines of one subtree, numbered from ``line`` + 1, read like ``Records`` (``check --jobs``). The walk reads
    exactly these lines unless it rejects one first (``parallel.shape``), so running out is a fault of the checker."""

    def __init__(self, lines, line, parse_float=str):
        self.lines, self.line, self.parse_float, self.next = lines, line, parse_float, 0

    def next_node(self):
        if self.next == len(self.lines):
            raise RuntimeError(f"the subtree ending at line {self.line} was cut short")
        self.next, self.line = self.next + 1, self.line + 1
        return parsed_line(self.lines[self.next - 1], self.line, self.parse_float)

    def finished(self):
        """Every line of the subtree was read."""
        if self.next != len(self.lines):
            raise RuntimeError(f"the subtree ending at line {self.line} has more lines")


def parsed_line(line, number, parse_float):
    """The JSON value of line ``number``."""
    try:
        return parse(text_of(line), parse_float)
    except Malformed as err:
        raise Malformed(f"on line {number}, {err}") from None
