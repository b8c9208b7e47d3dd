"""Sealed streams: a file of any size encrypted and authenticated in chunks (AES-256-GCM).

The construction is the "STREAM" online authenticated encryption of Hoang, Reyhanitabar,
Rogaway and Vizár (2015), as used by age and Tink: the plaintext is cut into chunks of
``CHUNK`` bytes, each sealed with AES-GCM under a nonce made of a random prefix drawn for
the file, the chunk's number and a flag that is set on the last chunk only. So a chunk
cannot be changed, dropped, repeated, moved or taken from another file, and a file cut
short (the last chunk missing) is refused, while neither side ever holds more than one
chunk in memory.

Layout: ``MAGIC`` (16 bytes) · version (1 byte) · nonce prefix (7 bytes) · the sealed
chunks, each ``CHUNK + 16`` bytes but the last (shorter, possibly only its 16-byte tag).
The header is authenticated with every chunk.
"""

from __future__ import annotations

import os
import struct
from typing import IO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"MAILLAGE-SEALED\n"
VERSION = 1
PREFIX_BYTES = 7
HEADER_BYTES = len(MAGIC) + 1 + PREFIX_BYTES
CHUNK = 1024 * 1024
TAG = 16
KEY_BYTES = 32
_MAX_CHUNKS = 2**32  # the counter has four bytes: 4 PiB per file


class SealedError(Exception):
    """The file is not a sealed stream, was sealed with another key, or was altered."""


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    if counter >= _MAX_CHUNKS:
        raise SealedError("stream too long")
    return prefix + struct.pack(">I?", counter, last)


def _check_key(key: bytes) -> AESGCM:
    if len(key) != KEY_BYTES:
        raise ValueError(f"the key must be {KEY_BYTES} bytes, not {len(key)}")
    return AESGCM(key)


class SealedWriter:
    """A write-only file object: what is written to it reaches ``raw`` sealed. ``close``
    seals the last chunk (and must be called: without it the stream reads as cut short);
    ``raw`` itself is left open."""

    def __init__(self, raw: IO[bytes], key: bytes) -> None:
        self._aead = _check_key(key)
        self._raw = raw
        self._prefix = os.urandom(PREFIX_BYTES)
        self._header = MAGIC + bytes([VERSION]) + self._prefix
        self._buffer = bytearray()
        self._counter = 0
        self._closed = False
        raw.write(self._header)

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:
        if self._closed:
            raise ValueError("write to a closed sealed stream")
        self._buffer += data
        # Keep at least one byte back: the last chunk is sealed by close, flagged as last.
        while len(self._buffer) > CHUNK:
            self._seal(bytes(self._buffer[:CHUNK]), last=False)
            del self._buffer[:CHUNK]
        return len(data)

    def flush(self) -> None:
        self._raw.flush()

    def _seal(self, chunk: bytes, last: bool) -> None:
        nonce = _nonce(self._prefix, self._counter, last)
        self._raw.write(self._aead.encrypt(nonce, chunk, self._header))
        self._counter += 1

    def close(self) -> None:
        if not self._closed:
            self._seal(bytes(self._buffer), last=True)
            self._buffer.clear()
            self._closed = True
            self._raw.flush()

    def __enter__(self) -> SealedWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SealedReader:
    """A read-only file object giving back what a ``SealedWriter`` sealed, chunk by
    chunk; raises ``SealedError`` at the first chunk that does not open (wrong key,
    altered or truncated file) — before handing out any of its bytes."""

    def __init__(self, raw: IO[bytes], key: bytes) -> None:
        self._aead = _check_key(key)
        self._raw = raw
        header = raw.read(HEADER_BYTES)
        if len(header) < HEADER_BYTES or not header.startswith(MAGIC):
            raise SealedError("not a sealed file")
        if header[len(MAGIC)] != VERSION:
            raise SealedError(f"unknown version {header[len(MAGIC)]}")
        self._header = header
        self._prefix = header[len(MAGIC) + 1 :]
        self._counter = 0
        self._plain = b""
        self._offset = 0
        self._done = False
        self._pending = self._read_record()

    def readable(self) -> bool:
        return True

    def _read_record(self) -> bytes:
        record = bytearray()
        while len(record) < CHUNK + TAG:
            part = self._raw.read(CHUNK + TAG - len(record))
            if not part:
                break
            record += part
        return bytes(record)

    def _open_next(self) -> None:
        record = self._pending
        if len(record) < TAG:
            raise SealedError("the file is cut short")
        # A full record may be followed by more: read ahead to know whether it is the last.
        self._pending = self._read_record() if len(record) == CHUNK + TAG else b""
        last = not self._pending
        try:
            self._plain = self._aead.decrypt(
                _nonce(self._prefix, self._counter, last), record, self._header
            )
        except InvalidTag:
            raise SealedError("wrong key, or the file was altered or cut short") from None
        self._offset = 0
        self._counter += 1
        self._done = last

    def read(self, size: int = -1) -> bytes:
        out = bytearray()
        while size < 0 or len(out) < size:
            if self._offset >= len(self._plain):
                if self._done:
                    break
                self._open_next()
                continue
            want = len(self._plain) - self._offset
            if size >= 0:
                want = min(want, size - len(out))
            out += self._plain[self._offset : self._offset + want]
            self._offset += want
        return bytes(out)

    def close(self) -> None:
        self._plain = b""

    def __enter__(self) -> SealedReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
