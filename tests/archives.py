"""Zip archives built in memory for the upload and ingest tests (traversal, bombs, .docx)."""

from __future__ import annotations

import io
import zipfile


def zip_bytes(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A zip holding ``members`` (name -> data) exactly as named, links and ``../`` included."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name), data, compress_type=compression)
    return buf.getvalue()
