"""Open an image file of any common kind and return its pixels as RGBA.

PNG and Netpbm (PBM/PGM/PPM) are decoded by tinynet itself.  Other formats
(JPEG, GIF, BMP, WebP, TIFF, ...) are handed to Pillow when it is installed;
otherwise the error says how to get them read.  The format is told from the
first bytes of the file (its "magic number"), never from the file name.

Every problem, from a missing file to a damaged pixel stream, raises
:class:`ImageError`, whose message never contains the path: callers write
``"%s: %s" % (path, error)`` themselves.
"""

import os

from . import png, pnm

__all__ = ["ImageError", "MAX_FILE_BYTES", "read_image", "sniff_format"]

#: Files larger than this are refused before reading them.
MAX_FILE_BYTES = 64 * 1024 * 1024


class ImageError(ValueError):
    """The file cannot be read as an image; the message says why."""


def sniff_format(head):
    """Name the image format from a file's first bytes ("PNG", "JPEG", ...), or None."""
    if head.startswith(b"\x89PNG"):
        return "PNG"  # even if the rest of the signature is damaged: png.decode says so
    if (
        len(head) >= 3
        and head[0:1] == b"P"
        and head[1:2] in b"123456"
        and head[2:3] in b" \t\n\r\v\f#"
    ):
        return "PNM"
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "GIF"
    if head.startswith(b"BM"):
        return "BMP"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "WebP"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "TIFF"
    if head.startswith(b"\x00\x00\x01\x00"):
        return "ICO"
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypavif"):
        return "HEIF/AVIF"
    if head.startswith(b"\x00\x00\x00\x0cjP  ") or head.startswith(b"\xff\x4f\xff\x51"):
        return "JPEG 2000"
    return None


def read_limited(handle, limit, first):
    """Read up to `limit` bytes, asking for `first` bytes first (the size the file claims).

    Reading in steps (rather than read(limit)) avoids setting aside `limit`
    bytes of memory for a small file, and still stops a pipe or a device
    that never ends.
    """
    blocks = []
    total = 0
    want = max(1, min(first, limit))
    while total < limit:
        block = handle.read(want)
        if not block:
            break
        blocks.append(block)
        total += len(block)
        want = min(1 << 20, limit - total)
    return b"".join(blocks)


def read_bytes(path):
    """Return the contents of `path`, refusing directories, empty and oversized files."""
    if os.path.isdir(path):
        raise ImageError("is a directory, not an image file")
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > MAX_FILE_BYTES:
                raise ImageError(
                    f"file is {size / 1048576:.1f} MB, over the {MAX_FILE_BYTES // 1048576:d} MB "
                    "limit for images"
                )
            data = read_limited(handle, MAX_FILE_BYTES + 1, first=size + 1)
    except FileNotFoundError:
        raise ImageError("no such file") from None
    except IsADirectoryError:
        raise ImageError("is a directory, not an image file") from None
    except PermissionError:
        raise ImageError("permission denied (cannot read the file)") from None
    except OSError as exc:
        raise ImageError("cannot read the file (%s)" % (exc.strerror or exc)) from None
    if len(data) > MAX_FILE_BYTES:
        raise ImageError(f"file is over the {MAX_FILE_BYTES // 1048576:d} MB limit for images")
    if not data:
        raise ImageError("file is empty")
    return data


def read_with_pillow(data, kind):
    """Decode `data` with Pillow (imported only now) into (width, height, rgba)."""
    try:
        from PIL import Image, ImageOps  # optional: only when Pillow is installed
    except ImportError:
        raise ImageError(
            f"this looks like a {kind} file; tinynet reads PNG and PGM/PPM/PBM by itself — "
            f"install Pillow (pip install pillow) to read {kind}, or convert the file to PNG"
        ) from None
    import io
    import warnings

    try:
        with warnings.catch_warnings():
            # Pillow warns at MAX_IMAGE_PIXELS and refuses at twice that; we refuse at it.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                if width * height > png.MAX_PIXELS:
                    raise ImageError(
                        f"image is {width:d}×{height:d} pixels, over the "
                        f"{png.MAX_PIXELS:d}-pixel limit"
                    )
                try:
                    image = ImageOps.exif_transpose(image)  # phone photos: honour the rotation tag
                except Exception:
                    pass  # a damaged EXIF block should not stop us reading the pixels
                rgba = image.convert("RGBA")
                return rgba.size[0], rgba.size[1], list(rgba.tobytes())
    except ImageError:
        raise
    except Exception as exc:  # Pillow raises many kinds for broken files
        raise ImageError(f"cannot read this {kind} file (Pillow says: {exc})") from None


def read_image(path):
    """Read an image file and return ``(width, height, rgba)``.

    `rgba` is a flat row-major list of 8-bit R, G, B, A values.  The format is
    recognised from the first bytes.  Raises ImageError on any failure.
    """
    data = read_bytes(path)
    kind = sniff_format(data[:16])
    try:
        if kind == "PNG":
            return png.decode(data)
        if kind == "PNM":
            return pnm.decode(data)
    except png.PNGError as exc:
        raise ImageError(f"cannot read PNG: {exc}") from exc
    except pnm.PNMError as exc:
        raise ImageError(f"cannot read PBM/PGM/PPM: {exc}") from exc
    if kind is None:
        raise ImageError("not an image (unrecognised format)")
    return read_with_pillow(data, kind)
