"""An uploaded document's bytes, judged from the bytes themselves: the type, the size, active content, the name.

Nothing here touches the database. :func:`inspect_upload` reads a seekable binary file (the request's spooled
upload) and answers its :class:`Inspection` — the type found from the magic bytes and the container's structure,
never from the filename or the client's declared type — or refuses it with the field named:

* larger than :data:`MAX_BYTES` (20 MiB) → 413; empty → 422;
* not one of PDF, OFD (GB/T 33190: a ZIP whose root holds ``OFD.xml``), JPEG, PNG, XLSX (a ZIP with
  ``[Content_Types].xml`` and ``xl/workbook.xml``) → 422;
* a PDF carrying JavaScript or other automatic actions (``/JavaScript``, ``/JS``, ``/Launch``, ``/OpenAction`` with a
  script, ``/AA``, ``/EmbeddedFile``, ``/RichMedia``, ``/XFA``), found in the raw bytes, with name escapes
  (``/J#61vaScript``) decoded, and inside every Flate-compressed stream (object streams hide dictionaries there) →
  422; an XLSX with macros (``xl/vbaProject.bin``, a macro-enabled content type) → 422.

:func:`safe_filename` makes the name shown and offered for download: the last path segment, NFC, no control,
zero-width or bidi characters, none of ``<>:"/\\|?*``, at most 120 characters, the extension of the type found.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from typing import BinaryIO

from bridgefund.errors import PayloadTooLarge, RuleViolation

MAX_BYTES = 20 * 1024 * 1024
#: How much a PDF's compressed streams may inflate to, in all, while looking for active content.
MAX_INFLATED = 200 * 1024 * 1024
#: What a zip-based upload's names may number (an OFD or a workbook has tens).
MAX_ZIP_ENTRIES = 10_000
_READ = 1024 * 1024

PDF, OFD, JPEG, PNG, XLSX = ("application/pdf", "application/ofd", "image/jpeg", "image/png",
                             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
EXTENSIONS = {PDF: ".pdf", OFD: ".ofd", JPEG: ".jpg", PNG: ".png", XLSX: ".xlsx"}
ACCEPTED = "PDF, OFD, JPEG, PNG or XLSX"

#: PDF names that run something when the file is opened or touched.
_ACTIVE_NAMES = {b"JavaScript", b"JS", b"Launch", b"AA", b"OpenAction", b"EmbeddedFile", b"RichMedia", b"XFA",
                 b"SubmitForm", b"ImportData"}
_NAME = re.compile(rb"/((?:[A-Za-z0-9_.+-]|#[0-9A-Fa-f]{2})+)")
_STREAM = re.compile(rb"stream\r?\n")
_FILENAME_BAD = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')


@dataclass(frozen=True)
class Inspection:
    content_type: str
    size: int


def _refuse(message: str) -> RuleViolation:
    return RuleViolation.on("file", message)


def inspect_upload(f: BinaryIO) -> Inspection:
    """The type and size of the upload in ``f`` (read from its start, left at its start), or a 413/422."""
    f.seek(0, 2)
    size = f.tell()
    f.seek(0)
    if size > MAX_BYTES:
        raise PayloadTooLarge(f"a document may have at most {MAX_BYTES} bytes (20 MiB)",
                              {"file": [f"larger than {MAX_BYTES} bytes"]})
    if size == 0:
        raise _refuse("the file is empty")
    head = f.read(8)
    f.seek(0)
    if head.startswith(b"%PDF-"):
        _check_pdf(f.read())
        kind = PDF
    elif head.startswith(b"\xff\xd8\xff"):
        kind = JPEG
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        kind = PNG
    elif head.startswith(b"PK\x03\x04"):
        kind = _zip_kind(f)
    else:
        raise _refuse(f"not an accepted type: a document must be {ACCEPTED} (judged from its bytes)")
    f.seek(0)
    return Inspection(kind, size)


def _names(data: bytes) -> set[bytes]:
    names = set()
    for m in _NAME.finditer(data):
        raw = m.group(1)
        if b"#" in raw:
            raw = re.sub(rb"#([0-9A-Fa-f]{2})", lambda h: bytes([int(h.group(1), 16)]), raw)
        names.add(raw)
    return names


def _check_pdf(data: bytes) -> None:
    found = _names(data) & _ACTIVE_NAMES
    budget = MAX_INFLATED
    for m in _STREAM.finditer(data):
        if found or budget <= 0:
            break
        inflater = zlib.decompressobj()
        try:
            inflated = inflater.decompress(data[m.end():m.end() + MAX_BYTES], budget)
        except zlib.error:
            continue  # not a Flate stream (an image, another filter): nothing of a dictionary to read
        budget -= len(inflated)
        found |= _names(inflated) & _ACTIVE_NAMES
    if budget <= 0:
        raise _refuse("the PDF's compressed content is too large to check")
    if found:
        shown = ", ".join(sorted("/" + n.decode("ascii", "replace") for n in found))
        raise _refuse(f"a PDF with JavaScript or automatic actions is not accepted ({shown})")


def _zip_kind(f: BinaryIO) -> str:
    try:
        with zipfile.ZipFile(f) as z:
            infos = z.infolist()
            if len(infos) > MAX_ZIP_ENTRIES:
                raise _refuse("the archive has too many entries")
            names = {i.filename for i in infos}
            if "OFD.xml" in names:
                return OFD
            if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
                types = z.read("[Content_Types].xml") if z.getinfo("[Content_Types].xml").file_size < 1 << 20 else b""
                if any(n.lower().endswith("vbaproject.bin") for n in names) or b"macroEnabled" in types:
                    raise _refuse("a workbook with macros is not accepted (save it as .xlsx without macros)")
                return XLSX
    except zipfile.BadZipFile:
        raise _refuse("the file looks like a ZIP archive but cannot be read") from None
    raise _refuse(f"not an accepted type: a document must be {ACCEPTED} (this ZIP is neither an OFD nor an XLSX)")


def safe_filename(name: str | None, content_type: str) -> str:
    """A name safe to show and to send in ``Content-Disposition`` (see the module docstring)."""
    name = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn"))
    name = _FILENAME_BAD.sub("_", name).strip(" .")
    ext = EXTENSIONS[content_type]
    stem = name[: -len(name.rsplit(".", 1)[-1]) - 1] if "." in name else name
    stem = stem.strip(" .")[:120 - len(ext)] or "document"
    return stem + ext
