"""The strict JSON reader (polyreg_check/load.py): every refusal has a case that reaches it, its explicit-stack
parser reads what the standard library's parser reads, and no bytes make it do anything but return or refuse."""
import gzip
import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

import polyreg_check
from polyreg_check import Malformed
from polyreg_check.load import MAX_DEPTH, Parser, bounded, distinct_keys, no_constant, parse, text_of
from test_rejections import raising_line, rejection_sites, site_of, template_regex

DEEP = 3000        # deeper than the C parser can go at the default recursion limit


def deep(inner):
    return "[" * DEEP + inner + "]" * DEEP


CASES = [   # (expected message, file bytes, max_bytes)
    (r"more than 100 bytes of JSON", b"[" + b"0," * 100 + b"0]", 100),
    (r"more than 1000 bytes of JSON", gzip.compress(b" " * 10_000_000), 1000),    # a gzip bomb, refused early
    (r"not a readable gzip file", gzip.compress(b"[1, 2, 3]" * 100)[:-30], None),
    (r"not UTF-8 JSON text \(byte 2 is 0xff", b"\x08\x07\xff\xfe onnx", None),
    (r"not valid JSON: Expecting value at line 1, column 7", b'{"a": }', None),
    (r"the number '1e999999999' has more than", b"[1e999999999]", None),
    (r"the number '99999.* has more than 4300 digits", b"[" + b"9" * 5000 + b"]", None),
    (r"the key 'a' is given twice in one object", b'{"a": 1, "b": 2, "a": 3}', None),
    (r"NaN is not a JSON number", b"[NaN]", None),
    (r"not valid JSON at character 3000$", deep("x").encode(), None),
    (r"not valid JSON: extra data at 6000", (deep("") + " x").encode(), None),
    (rf"nested more than {MAX_DEPTH} levels deep", b"[" * (MAX_DEPTH + 1), None),
    (r"not valid JSON at character 3002$", deep("[,]").encode(), None),
    (r"expected a key at character 3002", deep("{1: 2}").encode(), None),
    (r"expected ':' at character 3006", deep('{"a" 1}').encode(), None),
    (r"not valid JSON at character 3003$", deep("[1}").encode(), None),
    (r"not valid JSON: Invalid control character at", deep('"a\x01"').encode(), None),
]


@pytest.mark.parametrize("pattern, data, max_bytes", CASES, ids=[c[0][:40] for c in CASES])
def test_each_bad_file_is_refused_with_its_own_message(pattern, data, max_bytes, tmp_path):
    path = tmp_path / "input"
    path.write_bytes(data)
    with pytest.raises(Malformed, match=pattern):
        polyreg_check.load(path, **({"max_bytes": max_bytes} if max_bytes else {}))


def test_every_refusal_of_the_reader_has_a_case(tmp_path):
    sites, hit = rejection_sites({"load"}), set()
    assert len(sites) >= 10
    for k, (pattern, data, max_bytes) in enumerate(CASES):
        path = tmp_path / f"case{k}"
        path.write_bytes(data)
        with pytest.raises(Malformed) as info:
            polyreg_check.load(path, **({"max_bytes": max_bytes} if max_bytes else {}))
        key = site_of(raising_line(info.tb), sites)
        assert re.fullmatch(template_regex(key[1]), str(info.value)), (str(info.value), key)
        hit.add(key)
    assert set(sites) - hit == set()


def test_a_deep_document_is_read_without_raising_the_recursion_limit(tmp_path):
    import sys
    limit = sys.getrecursionlimit()
    tree = "null"
    for _ in range(40_000):
        tree = '{"split": [' + tree + ', {"leaf": ["1/2"]}]}'
    path = tmp_path / "deep.json"
    path.write_text(tree)
    node, levels = polyreg_check.load(path), 0
    while node is not None:
        node, levels = node["split"][0], levels + 1
    assert levels == 40_000 and sys.getrecursionlimit() == limit


HOOKS = {"parse_float": bounded, "parse_int": lambda s: int(bounded(s))}
values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5)
                      | st.floats(allow_nan=False, allow_infinity=False),
                      lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
                      max_leaves=30)


@given(values, st.sampled_from([None, 1]), st.booleans())
def test_the_explicit_stack_parser_reads_what_the_standard_parser_reads(value, indent, ascii_only):
    text = json.dumps(value, indent=indent, ensure_ascii=ascii_only)
    assert Parser(text, HOOKS).document() == json.loads(text, parse_float=str)


@given(st.binary(max_size=300))
def test_arbitrary_bytes_are_read_or_refused(data):
    try:
        parse(text_of(data), str)
    except Malformed:
        pass


def c_parser(text):
    """The standard library's reading of ``text`` with the reader's hooks and refusals."""
    try:
        return json.loads(text, object_pairs_hook=distinct_keys, parse_constant=no_constant, **HOOKS)
    except ValueError:      # JSONDecodeError, and Malformed (a Reject is no ValueError: see below)
        return Malformed


@given(st.text(alphabet='[]{},:"0123456789.eE-+ \ttruefalsnNI\\u', max_size=60))
def test_on_strings_of_json_characters_both_parsers_agree(text):
    try:
        expected = c_parser(text)
    except Malformed:
        expected = Malformed
    try:
        found = Parser(text, HOOKS).document()
    except Malformed:
        found = Malformed
    assert found == expected
