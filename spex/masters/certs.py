"""Masters room: mill certs of material lots — what we accept, where the file goes, how it is found again.

The same check takes a vendor's certificate of conformance uploaded at a station (spex.scan.routes).
"""
from __future__ import annotations

import os
import secrets

# The file's first bytes decide what it is; a name ending in .pdf proves nothing.
SIGNATURES = (
    (b"%PDF-", "pdf", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "png", "image/png"),
    (b"\xff\xd8\xff", "jpg", "image/jpeg"),
)
EXTENSIONS = {"pdf": "pdf", "png": "png", "jpg": "jpg", "jpeg": "jpg"}
MIME_TYPES = {ext: mime for _, ext, mime in SIGNATURES}
CERT_MAX_BYTES = 10 * 1024 * 1024
# Vendors' CoCs, in this folder under the upload folder; mill certs lie in the upload folder itself.
COC_FOLDER = "coc"


class CertRefused(ValueError):
    pass


def check_cert(filename: str, data: bytes, max_bytes: int = CERT_MAX_BYTES, what: str = "mill cert") -> str:
    """The stored extension of an uploaded mill cert (or vendor CoC), or CertRefused saying what is wrong with it."""
    extension = EXTENSIONS.get(os.path.splitext(filename or "")[1].lower().lstrip("."))
    if extension is None:
        raise CertRefused(f"A {what} must be a PDF, PNG or JPEG file.")
    if not data:
        raise CertRefused("That file is empty.")
    if len(data) > max_bytes:
        raise CertRefused(f"That file is larger than {max_bytes // (1024 * 1024)} MB.")
    for magic, kind, _ in SIGNATURES:
        if data.startswith(magic):
            if kind != extension:
                raise CertRefused(f"That file is named .{extension} but is really a {kind.upper()}.")
            return kind
    raise CertRefused("That file is not a real PDF, PNG or JPEG.")


def mime_type(stored_name: str) -> str | None:
    """The content type a stored cert is served with; None for a name we would not have made."""
    return MIME_TYPES.get(EXTENSIONS.get(stored_name.rsplit(".", 1)[-1].lower()) if "." in stored_name else None)


def store_cert(upload_dir: str, lot_id: int, data: bytes, extension: str) -> str:
    """Write the cert under a name of our making (never the uploader's); returns that name."""
    os.makedirs(upload_dir, exist_ok=True)
    name = f"cert-lot{lot_id}-{secrets.token_hex(8)}.{extension}"
    with open(os.path.join(upload_dir, name), "xb") as fh:
        fh.write(data)
    return name


def forget_file(upload_dir: str, name: str) -> None:
    """Take back a file whose database row was never committed."""
    try:
        os.remove(os.path.join(upload_dir, name))
    except OSError:
        pass
