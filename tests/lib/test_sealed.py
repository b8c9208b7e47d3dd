"""Sealed streams: what goes in comes out; any change, cut or wrong key is refused."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maillage.lib import sealed
from maillage.lib.sealed import CHUNK, HEADER_BYTES, TAG, SealedError, SealedReader, SealedWriter

KEY = bytes(range(32))


def seal(data: bytes, key: bytes = KEY, pieces: int = 1) -> bytes:
    raw = io.BytesIO()
    with SealedWriter(raw, key) as writer:
        step = max(1, len(data) // pieces)
        for start in range(0, len(data), step):
            writer.write(data[start : start + step])
    return raw.getvalue()


def unseal(blob: bytes, key: bytes = KEY, size: int = -1) -> bytes:
    reader = SealedReader(io.BytesIO(blob), key)
    if size < 0:
        return reader.read()
    out = bytearray()
    while part := reader.read(size):
        out += part
    return bytes(out)


@pytest.mark.parametrize(
    "length", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 2 * CHUNK + 5, 3 * CHUNK - 1]
)
def test_round_trip_at_chunk_boundaries(length):
    data = bytes(i % 251 for i in range(length))
    blob = seal(data, pieces=3)
    assert unseal(blob) == data
    assert unseal(blob, size=65_536) == data
    chunks = max(1, -(-length // CHUNK))
    assert len(blob) == HEADER_BYTES + length + chunks * TAG


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=4096), st.integers(min_value=1, max_value=7))
def test_round_trip_any_bytes(data, pieces):
    assert unseal(seal(data, pieces=pieces), size=pieces * 97) == data


def test_nothing_readable_without_the_key():
    data = b"Dr Martin: note confidentielle " * 1000
    blob = seal(data)
    assert b"confidentielle" not in blob
    with pytest.raises(SealedError):
        unseal(blob, key=bytes(32))


def test_two_sealings_differ():
    assert seal(b"same") != seal(b"same")  # a new nonce prefix per file


def test_a_changed_byte_is_refused():
    blob = bytearray(seal(bytes(CHUNK + 10)))
    for position in (HEADER_BYTES - 1, HEADER_BYTES + 5, len(blob) - 1):
        altered = bytearray(blob)
        altered[position] ^= 1
        with pytest.raises(SealedError):
            unseal(bytes(altered))


def test_a_cut_file_is_refused_even_at_a_chunk_boundary():
    blob = seal(bytes(2 * CHUNK + 10))
    with pytest.raises(SealedError):
        unseal(blob[: HEADER_BYTES + CHUNK + TAG])  # the first chunk alone, whole
    with pytest.raises(SealedError):
        unseal(blob[:-1])
    with pytest.raises(SealedError):
        unseal(blob[:HEADER_BYTES])


def test_chunks_cannot_be_reordered_or_dropped():
    blob = seal(bytes(range(256)) * (3 * CHUNK // 256))
    header, body = blob[:HEADER_BYTES], blob[HEADER_BYTES:]
    size = CHUNK + TAG
    first, second, third = body[:size], body[size : 2 * size], body[2 * size :]
    with pytest.raises(SealedError):
        unseal(header + second + first + third)
    with pytest.raises(SealedError):
        unseal(header + first + third)


def test_not_a_sealed_file():
    with pytest.raises(SealedError):
        unseal(b"PK\x03\x04 a zip file, not a backup")
    with pytest.raises(SealedError):
        unseal(b"")


def test_keys():
    assert len(sealed.new_key()) == 32
    with pytest.raises(ValueError):
        SealedWriter(io.BytesIO(), b"short")
