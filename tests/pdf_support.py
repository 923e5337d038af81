"""Helpers for tests that look inside PDFs."""

from __future__ import annotations

import io

from fontTools.ttLib import TTFont
from pypdf import PdfReader


def embedded_fonts(pdf: bytes) -> dict[str, TTFont | None]:
    """BaseFont name → the embedded font program (parsed) of every font the PDF uses."""
    fonts = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            key = next((k for k in descriptor if k.startswith("/FontFile")), None)
            data = descriptor[key].get_object().get_data() if key else None
            fonts[str(font["/BaseFont"])] = TTFont(io.BytesIO(data)) if data and data[:4] == b"OTTO" else None
    return fonts
