"""Output paths checked before any work starts (a file or folder polyreg is asked to write must be writable), and
the evidence written after it (a certificate, and its report).

Each check raises ``InputError`` (exit code 2) naming the path and the option; missing parent folders are allowed,
as the writers create them, as long as they can be created. Nothing is left behind by a check.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any, Sequence

from polyreg_check.load import MAX_BYTES

from ..certificates.trees import rendered
from ..certificates.write import Written, write_certificate
from ..errors import InputError, PolyregError


def writable_file(path: str, option: str) -> Path:
    """``path`` as a ``Path``, after checking that a file can be written there (raises ``InputError``)."""
    target = Path(path)
    try:
        if target.is_dir():
            raise InputError(f"{path}: {option}: is a directory; expected the name of a file to write")
        if target.exists():
            if not writable(target):
                raise InputError(f"{path}: {option}: the file exists and cannot be written")
        else:
            creatable(target.parent, path, option)
    except OSError as err:   # a name too long, a loop of links, ...
        raise InputError(f"{path}: {option}: cannot be written: {err.strerror or err}") from None
    return target


def writable_dir(path: str, option: str, files: Sequence[str] = ()) -> Path:
    """``path`` as a ``Path``, after checking that it is, or can be created as, a folder that files can be written
    into, ``files`` among them (raises ``InputError``)."""
    target = Path(path)
    try:
        if target.exists() and not target.is_dir():
            raise InputError(f"{path}: {option}: is a file; expected a folder to write into")
        creatable(target, path, option)
    except OSError as err:
        raise InputError(f"{path}: {option}: cannot be written: {err.strerror or err}") from None
    for name in files:
        writable_file(str(target / name), option)
    return target


def creatable(folder: Path, path: str, option: str) -> None:
    """Check that ``folder`` exists, or can be created, and that a file can be created in it."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise InputError(f"{path}: {option}: cannot be created: {existing} is a file, not a folder")
    if not can_create_in(existing):
        raise InputError(f"{path}: {option}: cannot be created: {existing} does not allow writing")


def can_create_in(folder: Path) -> bool:
    """Whether a file can be created (and removed again) in the existing ``folder``."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def writable(file: Path) -> bool:
    """Whether the existing ``file`` can be opened for writing (without changing it)."""
    try:
        with file.open("ab"):
            return True
    except OSError:
        return False


def check_evidence_paths(args: argparse.Namespace) -> None:
    """Check, before any work, that the certificate and the report asked for (--certificate, --report) can be
    written; raises ``InputError`` naming the option and the path."""
    from ..report.render import REPORT_FILES
    if args.certificate:
        writable_file(args.certificate, "--certificate")
    if args.report:
        writable_dir(args.report, "--report", REPORT_FILES + (() if args.certificate else ("certificate.json.gz",)))


def save_certificate(cert: dict, path: str) -> Written:
    """Write ``cert`` and say how to check it: with ``--max-bytes`` when its text is larger than the checker reads
    by default."""
    written = write_certificate(cert, path)
    size, bound = f"{written.file_size} bytes", ""
    if written.text_size > MAX_BYTES:
        size += f", {written.text_size} bytes of JSON text"
        bound = f"--max-bytes {written.text_size} "
    print(f"certificate: {path} ({size}; check it with: polyreg check {bound}{path})", file=sys.stderr)
    return written


def subtree_rendering(args: argparse.Namespace) -> dict[str, Any]:
    """``render=trees.rendered`` when --certificate names a format 2 file: processes that refine a part of the
    domain write its lines too (``core.enumerate.refine``); else nothing."""
    flat = args.certificate is not None and args.certificate.removesuffix(".gz").endswith(".jsonl")
    return {"render": rendered} if flat else {}


def save_evidence(cert: dict, args: argparse.Namespace) -> None:
    """Write the certificate (to --certificate, else DIR/certificate.json.gz) and, with --report DIR, its report."""
    path = args.certificate or str(Path(args.report) / "certificate.json.gz")
    text_size = save_certificate(cert, path).text_size
    if args.report:
        from ..report.render import report_of_files, write_report
        report = report_of_files([path], max(args.max_bytes, text_size))
        files = write_report(report, args.report)
        print(f"report: {files[0]} ({report.first_line})", file=sys.stderr)
        if not report.verified:
            raise PolyregError(f"the checker rejected the certificate just written, {path}: {report.first_line}")
