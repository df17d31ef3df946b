"""An MP4 grown to a chosen size as a stream: the real render, then one ``free`` box.

MP4 readers skip boxes they do not know or need (ISO/IEC 14496-12 defines ``free`` for
exactly that), so the duration, tracks and playback are those of the render; only the byte
count changes. The padding is one zero-filled chunk sent again and again: nothing of it is
held in memory or written to disk, whatever the size.

Example:
    >>> head = b"\\x00\\x00\\x00\\x10ftypisom\\x00\\x00\\x02\\x00"  # a 16-byte box
    >>> body = b"".join(chunks(head, 40))
    >>> len(body), body[16:24]
    (40, b'\\x00\\x00\\x00\\x18free')
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

CHUNK_BYTES = 1 << 20
_ZEROS = bytes(CHUNK_BYTES)
_MIN_BOX = 8
_MAX_32BIT_BOX = 2**32 - 1


def can_pad(head_size: int, total_size: int) -> bool:
    """Whether a file of ``head_size`` bytes can be padded to exactly ``total_size``."""
    return total_size - head_size >= _MIN_BOX


def free_box_header(size: int) -> bytes:
    """Header of a ``free`` box of ``size`` bytes in all (64-bit ``largesize`` past 4 GiB)."""
    if size < _MIN_BOX:
        raise ValueError(f"a box is at least {_MIN_BOX} bytes, got {size}")
    if size <= _MAX_32BIT_BOX:
        return struct.pack(">I4s", size, b"free")
    return struct.pack(">I4sQ", 1, b"free", size)


def chunks(head: bytes, total_size: int) -> Iterator[bytes]:
    """``head`` then a ``free`` box filling up to ``total_size`` bytes, in chunks.

    Raises:
        ValueError: ``total_size`` leaves less than a box header after ``head``.
    """
    if not can_pad(len(head), total_size):
        raise ValueError(f"cannot pad {len(head)} bytes to {total_size}")
    yield head
    header = free_box_header(total_size - len(head))
    yield header
    remaining = total_size - len(head) - len(header)
    while remaining >= CHUNK_BYTES:
        yield _ZEROS
        remaining -= CHUNK_BYTES
    if remaining:
        yield _ZEROS[:remaining]
