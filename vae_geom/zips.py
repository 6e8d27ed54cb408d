"""One member of an untrusted zip archive, read so that every way it can fail is one clear error.

Both zip inputs (a model downloaded from the app, `user_models`; a dataset of images, `uploads`)
read members this way and name the error for their own reader.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Callable

# RuntimeError: encrypted members, and (as NotImplementedError) unknown compression methods;
# the others: damaged headers or data, truncated archives, failed decompression
UNREADABLE = (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError)


def read_member(zf: zipfile.ZipFile, member: str, error: Callable[[str], Exception]) -> bytes:
    """The member's bytes; if it cannot be unpacked, raise error(why) from the cause."""
    try:
        return zf.read(member)
    except UNREADABLE as e:
        raise error(str(e)) from e
