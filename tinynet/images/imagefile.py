"""Open an image file of any common kind and return its pixels as RGBA.

PNG and Netpbm (PBM/PGM/PPM) are decoded by tinynet itself.  Other formats
(JPEG, GIF, BMP, WebP, TIFF, ...) are handed to Pillow when it is installed;
otherwise the error says how to get them read.  The format is told from the
first bytes of the file (its "magic number"), never from the file name.

Every image comes back no larger than the *working image*: one whose longer side is at
most ``png.WORKING_SIDE`` (512) pixels.  PNG and PNM files larger than that are area-averaged
while they are decoded, a strip of rows at a time, so reading any file within the limits
takes bounded memory and time (README, "Reliability: hostile and huge files").

Every problem, from a missing file to a damaged pixel stream, raises
:class:`ImageError`, whose message never contains the path: callers write
``f"{path}: {error}"`` themselves.
"""

import contextlib
import os
import stat

from . import png, pnm

__all__ = [
    "ImageError",
    "MAX_FILE_BYTES",
    "read_image",
    "read_image_and_original",
    "read_image_and_scale",
    "sniff_format",
]

#: Files larger than this are refused before reading them (the whole file is held in memory
#: while it is decoded).
MAX_FILE_BYTES = 64 * 1024 * 1024
#: Pillow decodes into 4 bytes a pixel at C speed before we shrink the result: at most 256 MB.
MAX_PILLOW_PIXELS = png.MAX_PIXELS


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


def read_bytes(path):
    """Return the contents of `path`, refusing directories, special, empty and oversized files.

    The file is looked at (stat) before it is opened: a FIFO, a device or a socket could
    block the open or the read forever, or never end, so only regular files are read.  The
    open is non-blocking too, in case the file is swapped for a FIFO in between.
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise ImageError("no such file") from None
    except PermissionError:
        raise ImageError("permission denied (cannot read the file)") from None
    except (OSError, ValueError) as exc:
        raise ImageError(
            f"cannot read the file ({getattr(exc, 'strerror', None) or exc})"
        ) from None
    if stat.S_ISDIR(info.st_mode):
        raise ImageError("is a directory, not an image file")
    if not stat.S_ISREG(info.st_mode):
        raise ImageError("is not a regular file (a device, pipe or socket), not an image file")
    if info.st_size > MAX_FILE_BYTES:
        raise ImageError(
            f"file is {info.st_size / 1048576:.1f} MB, over the {MAX_FILE_BYTES // 1048576:d} MB "
            "limit for images"
        )
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        # Unbuffered: a buffered read holds the file three times over for a moment on PyPy.
        with open(fd, "rb", buffering=0) as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise ImageError("is not a regular file (a device, pipe or socket)")
            # One read of the size stat gave, plus one byte to notice a file that grew.
            data = read_up_to(handle, min(info.st_size, MAX_FILE_BYTES) + 1)
    except FileNotFoundError:
        raise ImageError("no such file") from None
    except IsADirectoryError:
        raise ImageError("is a directory, not an image file") from None
    except PermissionError:
        raise ImageError("permission denied (cannot read the file)") from None
    except OSError as exc:
        raise ImageError(f"cannot read the file ({exc.strerror or exc})") from None
    if len(data) > MAX_FILE_BYTES:
        raise ImageError(f"file is over the {MAX_FILE_BYTES // 1048576:d} MB limit for images")
    if not data:
        raise ImageError("file is empty")
    return data


def read_up_to(handle, size):
    """Read `size` bytes from an unbuffered file, or all of it if it is shorter (one read
    call gives all of a regular file but may, in principle, stop short)."""
    data = handle.read(size)
    while data and len(data) < size:
        more = handle.read(size - len(data))
        if not more:
            break
        data += more
    return data or b""


def read_with_pillow(data, kind, max_side=png.WORKING_SIDE):
    """Decode `data` with Pillow (imported only now) into (width, height, rgba, original),
    `original` being (k, full width, full height) as read_image_and_original says.

    Pillow decodes at C speed into its own compact memory; an image larger than the working
    size is then shrunk by Pillow's reduce() (the mean of k × k blocks, like png.read) before
    it becomes a Python list.
    """
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
            # Pillow warns at MAX_IMAGE_PIXELS and refuses at twice that; we refuse earlier.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                if width * height > MAX_PILLOW_PIXELS:
                    raise ImageError(
                        f"image is {width:d}×{height:d} pixels, over the "
                        f"{MAX_PILLOW_PIXELS:d}-pixel limit"
                    )
                # phone photos: honour the rotation tag (a damaged EXIF block should not stop
                # us reading the pixels)
                with contextlib.suppress(Exception):
                    image = ImageOps.exif_transpose(image)
                rgba = image.convert("RGBA")
                original = rgba.size  # (after turning the photo upright)
                k = png.shrink_factor(*original, max_side)
                if k > 1:
                    rgba = rgba.reduce(k)
                return rgba.size[0], rgba.size[1], list(rgba.tobytes()), (k, *original)
    except ImageError:
        raise
    except Exception as exc:  # Pillow raises many kinds for broken files
        raise ImageError(f"cannot read this {kind} file (Pillow says: {exc})") from None


def read_image_and_original(path):
    """Read an image file and return ``(width, height, rgba, original)``.

    Like read_image; `original` is ``(k, full width, full height)``: the file's image is
    ``full width × full height`` pixels, and k times larger on each side than the one returned
    when it has been area-averaged (k × k pixels to one) to the working size, else k = 1.
    Pixel (x, y) returned covers the file's pixels k·x … k·x + k − 1 (and y likewise):
    reading.read_number(..., original=original) gives its boxes in the file's own pixels.
    """
    data = read_bytes(path)
    kind = sniff_format(data[:16])
    try:
        if kind == "PNG":
            header = png.read_header(data)
            size = header.width, header.height
            k = png.shrink_factor(*size, interlace=header.interlace)
            return png.read(data) + ((k, *size),)
        if kind == "PNM":
            size = pnm.image_size(data)
            return pnm.read(data) + ((png.shrink_factor(*size), *size),)
    except png.PNGError as exc:
        raise ImageError(f"cannot read PNG: {exc}") from exc
    except pnm.PNMError as exc:
        raise ImageError(f"cannot read PBM/PGM/PPM: {exc}") from exc
    except MemoryError:
        raise ImageError("not enough memory to read this image") from None
    if kind is None:
        raise ImageError("not an image (unrecognised format)")
    return read_with_pillow(data, kind)


def read_image_and_scale(path):
    """Read an image file and return ``(width, height, rgba, scale)``.

    Like read_image; `scale` is k when the file's image was k times larger on each side and
    has been area-averaged (k × k pixels to one) to the working size, else 1.
    """
    width, height, rgba, (k, _, _) = read_image_and_original(path)
    return width, height, rgba, k


def read_image(path):
    """Read an image file and return ``(width, height, rgba)`` of at most the working size.

    `rgba` is a flat row-major list of 8-bit R, G, B, A values.  The format is recognised
    from the first bytes.  An image whose longer side is over png.WORKING_SIDE pixels is
    area-averaged down to it while it is decoded (`width` and `height` are the reduced
    image's; read_image_and_original also says by how much, and the file's own size).  Raises
    ImageError on any failure.
    """
    width, height, rgba, _ = read_image_and_original(path)
    return width, height, rgba
