"""The strict JSON reader every polyreg file goes through (certificates here; networks and domains in the producer).

Bounded before any work: the file's size, counted while it is decompressed (``max_bytes``); its nesting depth
(``MAX_DEPTH``), never by raising the recursion limit; every
number by its spelling (``MAX_DIGITS`` digits, exponents up to ``MAX_EXPONENT``) before it is converted. A key given
twice in one object is refused (readers that keep the first and readers that keep the last would see different
documents). Documents nested deeper than the C parser can take are read by a small parser with an explicit stack.
"""
import functools
import gzip
import json
import re
import zlib
from json.decoder import scanstring  # type: ignore[attr-defined]  # in json.decoder, missing from its stubs

from .errors import Malformed, wellformed

MAX_BYTES = 1 << 30        # 1 GiB of JSON text, after decompression
MAX_DEPTH = 100_000        # nesting levels (a certificate tree nests two per split)
MAX_DIGITS = 4300          # digits of one number (Python's own limit for int from text)
MAX_EXPONENT = 1000        # |e| in a spelling such as 1.5e-3
UNREADABLE = (OSError,)    # what ``load`` raises, besides ``Malformed``, for a file it cannot read


def load(path, max_bytes=MAX_BYTES, parse_float=str):
    """The JSON document in the file at ``path`` (gzip-compressed or plain). A JSON float is passed to
    ``parse_float`` as its text once its spelling is within bounds (the checker keeps the text, so ``num`` refuses
    it)."""
    return parse(text_of(read_bytes(path, max_bytes)), parse_float)


def read_bytes(path, max_bytes):
    """The file's bytes, decompressed if gzip; refused as soon as more than ``max_bytes`` are read."""
    with open(path, "rb") as f:
        data = limited(f, max_bytes)
        if data[:2] == b"\x1f\x8b":
            f.seek(0)
            data = gunzipped(f, max_bytes)
    wellformed(len(data) <= max_bytes, f"the file holds more than {max_bytes} bytes of JSON (the limit; raise it "
                                       "with --max-bytes)")
    return data


def gunzipped(f, max_bytes):
    """At most ``max_bytes + 1`` decompressed bytes of the gzip stream ``f``."""
    try:
        with gzip.GzipFile(fileobj=f) as z:
            return limited(z, max_bytes)
    except (OSError, EOFError, zlib.error) as err:
        raise Malformed(f"not a readable gzip file ({err})") from None


def limited(f, max_bytes, chunk=1 << 20):
    """At most ``max_bytes + 1`` bytes of the stream ``f``, read a chunk at a time (a file of unknown size, such as
    /dev/zero or a gzip bomb, is read no further than the limit)."""
    parts, size = [], 0
    while size <= max_bytes:
        part = f.read(min(chunk, max_bytes + 1 - size))
        if not part:
            break
        parts.append(part)
        size += len(part)
    return b"".join(parts)


def text_of(data):
    """``data`` as UTF-8 text."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise Malformed(f"not UTF-8 JSON text (byte {err.start} is 0x{data[err.start]:02x}; a binary file such as "
                        "an ONNX model?)") from None


def parse(text, parse_float):
    """The document ``text``: every number within bounds, every object's keys distinct, at most ``MAX_DEPTH`` deep.
    The C parser reads it unless it nests deeper than the interpreter's recursion limit allows; then ``Parser``."""
    try:
        return decoder(parse_float, len(text) > MAX_DIGITS).decode(text)
    except json.JSONDecodeError as err:
        raise Malformed(f"not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}") from None
    except RecursionError:
        return Parser(text, {"parse_float": lambda s: parse_float(bounded(s)), "parse_int": integer}).document()


NUMBER = re.compile(r"-?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?")


def integer(spelling):
    """A JSON integer's value; its spelling (``-?digits``, as the parser matched it) is bounded first."""
    return int(spelling) if len(spelling) <= MAX_DIGITS else int(bounded(spelling))


def bounded(spelling):
    """``spelling`` once it has at most ``MAX_DIGITS`` digits and an exponent of at most ``MAX_EXPONENT``."""
    m = NUMBER.fullmatch(spelling)
    wellformed(m is not None and len(m[1]) + len(m[2] or "") <= MAX_DIGITS
               and (m[3] is None or (len(m[3]) <= 6 and abs(int(m[3])) <= MAX_EXPONENT)),
               f"the number {spelling[:40]!r} has more than {MAX_DIGITS} digits or an exponent beyond {MAX_EXPONENT}")
    return spelling


@functools.lru_cache(maxsize=8)
def decoder(parse_float, long):
    """The C parser with the hooks of ``parse``, made once (a line of a format 2 file is one document). A text of at
    most ``MAX_DIGITS`` characters holds no longer integer, so its integers need no bound (not ``long``)."""
    return json.JSONDecoder(object_pairs_hook=distinct_keys, parse_constant=no_constant,
                            parse_float=lambda s: parse_float(bounded(s)), parse_int=integer if long else int)


def distinct_keys(pairs):
    """An object from its (key, value) pairs, refused if a key comes twice."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen = set()
        twice = next(k for k, _ in pairs if k in seen or seen.add(k))
        raise Malformed(f"the key {twice!r} is given twice in one object")
    return obj


def no_constant(name):
    raise Malformed(f"{name} is not a JSON number")


TOKEN = re.compile(r'[ \t\n\r]*(?:([\[\]{},:])|(")|(-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)|'
                   r'(true|false|null))')
LITERAL = {"true": True, "false": False, "null": None}


class Parser:
    """JSON (RFC 8259) read with an explicit stack instead of recursion, for documents nested deeper than the C
    parser can take, with the same hooks and refusals; at most ``MAX_DEPTH`` levels."""

    def __init__(self, text, hooks):
        self.text, self.pos, self.hooks = text, 0, hooks

    def token(self):
        """The next token as (kind, value): kind "punct" (a bracket, comma or colon), "string" or "value"."""
        m = TOKEN.match(self.text, self.pos)
        wellformed(m is not None, f"not valid JSON at character {self.pos}")
        self.pos = m.end()
        if m[1]:
            return "punct", m[1]
        if m[2]:       # a string: read by the C routine json.loads uses (a regex would keep state per character)
            try:
                value, self.pos = scanstring(self.text, self.pos, True)
            except ValueError as err:
                raise Malformed(f"not valid JSON: {err}") from None
            return "string", value
        if m[3]:
            number = self.hooks["parse_float" if any(c in m[3] for c in ".eE") else "parse_int"]
            return "value", number(m[3])
        return "value", LITERAL[m[4]]

    def document(self):
        """The whole text as one JSON value, with nothing but white space after it."""
        value = self.value(self.token())
        wellformed(self.text[self.pos:].strip(" \t\n\r") == "", f"not valid JSON: extra data at {self.pos}")
        return value

    def value(self, token):
        """The value that starts with ``token``; open containers wait on a stack of (items, bracket, key)."""
        stack = []
        while True:
            kind, v = token
            if kind == "punct" and v in "[{":
                wellformed(len(stack) < MAX_DEPTH, f"nested more than {MAX_DEPTH} levels deep (the limit)")
                stack.append(([], v, None))
                token = self.token()
                if token != ("punct", "]" if v == "[" else "}"):
                    token = self.key(stack, token) if v == "{" else token
                    continue
                value = self.close(stack)
            else:
                wellformed(kind != "punct", f"not valid JSON at character {self.pos}")
                value = v
            if not stack:
                return value
            token = self.place(stack, value)
            if token[0] == "done":
                return token[1]

    def key(self, stack, token):
        """Read ``"key" :`` in the innermost object, whose first token is ``token``; the token after the colon."""
        wellformed(token[0] == "string", f"not valid JSON: expected a key at character {self.pos}")
        items, bracket, _ = stack.pop()
        stack.append((items, bracket, token[1]))
        wellformed(self.token() == ("punct", ":"), f"not valid JSON: expected ':' at character {self.pos}")
        return self.token()

    def place(self, stack, value):
        """Add ``value`` to the innermost container, then read on: after a comma, the next value's first token; a
        closing bracket finishes the container (and maybe its parents); ("done", document) when all are closed."""
        while True:
            items, bracket, key = stack[-1]
            items.append(value if bracket == "[" else (key, value))
            token = self.token()
            if token == ("punct", ","):
                return self.key(stack, self.token()) if bracket == "{" else self.token()
            wellformed(token == ("punct", "]" if bracket == "[" else "}"), f"not valid JSON at character {self.pos}")
            value = self.close(stack)
            if not stack:
                return "done", value

    @staticmethod
    def close(stack):
        """The innermost container, finished and taken off the stack."""
        items, bracket, _ = stack.pop()
        return items if bracket == "[" else distinct_keys(items)
