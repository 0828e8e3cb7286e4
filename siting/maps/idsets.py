"""Sets of demand-point positions as short base64 texts, for a map page to unite in the browser.

A what-if map (:mod:`siting.maps.whatif`) ships, per site, the demand points it covers. A
set of positions ``0 <= i < n`` is written in whichever of two forms is shorter:

- ``"d" + base64(varints)``: the sorted positions as gaps (the first position, then each
  difference minus one), each an unsigned LEB128 varint (7 bits a byte, high bit = more);
  a site covering a few hundred scattered points costs one or two bytes a point;
- ``"b" + base64(bitset)``: ``n`` bits, bit ``i`` of byte ``i // 8`` (least significant
  first) set for position ``i``; a site covering a large share of a small city costs
  ``n / 8`` bytes.

The page decodes both with a few lines of JavaScript (``decodeIds`` in ``panel.js``); the
round trip and the union are tested against these functions.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable

import numpy as np
from numpy.typing import ArrayLike, NDArray


def varint_bytes(values: ArrayLike) -> bytes:
    """Unsigned LEB128 encoding of non-negative integers (7 bits a byte, high bit set when more follow)."""
    v = np.asarray(values, dtype=np.uint64)
    if v.size == 0:
        return b""
    nbytes = np.ones(len(v), dtype=np.int64)
    for k in range(1, 10):
        nbytes += v >= np.uint64(1 << (7 * k))
    start = np.concatenate([[0], np.cumsum(nbytes)[:-1]])
    out = np.zeros(int(nbytes.sum()), dtype=np.uint8)
    rest = v.copy()
    for k in range(int(nbytes.max())):
        live = nbytes > k
        more = (nbytes[live] > k + 1).astype(np.uint8) << 7
        out[start[live] + k] = (rest[live] & np.uint64(0x7F)).astype(np.uint8) | more
        rest[live] >>= np.uint64(7)
    return out.tobytes()


def varint_values(data: bytes) -> NDArray[np.int64]:
    """The integers of a :func:`varint_bytes` encoding."""
    b = np.frombuffer(data, dtype=np.uint8)
    if b.size == 0:
        return np.zeros(0, dtype=np.int64)
    if b[-1] & 0x80:
        raise ValueError("truncated varint data: the last byte says more follow")
    ends = np.flatnonzero(b < 0x80)
    starts = np.concatenate([[0], ends[:-1] + 1])
    lengths = ends - starts + 1
    values = np.zeros(len(ends), dtype=np.uint64)
    for k in range(int(lengths.max())):
        live = lengths > k
        values[live] |= (b[starts[live] + k] & 0x7F).astype(np.uint64) << np.uint64(7 * k)
    return values.astype(np.int64)


def encode_ids(ids: ArrayLike, n: int) -> str:
    """The set of positions ``ids`` (each in ``0..n-1``; order and repeats do not matter) as text."""
    pos = np.unique(np.asarray(ids, dtype=np.int64))
    if len(pos) and (pos[0] < 0 or pos[-1] >= n):
        raise ValueError(f"positions must lie in 0..{n - 1}, got {pos[0]}..{pos[-1]}")
    gaps = np.diff(pos, prepend=-1) - 1
    varints = varint_bytes(gaps)
    bits = np.zeros(n, dtype=bool)
    bits[pos] = True
    bitset = np.packbits(bits, bitorder="little").tobytes()
    if len(varints) <= len(bitset):
        return "d" + base64.b64encode(varints).decode("ascii")
    return "b" + base64.b64encode(bitset).decode("ascii")


def decode_ids(text: str, n: int) -> NDArray[np.int64]:
    """The sorted positions of an :func:`encode_ids` text over ``n`` points."""
    kind, payload = text[:1], base64.b64decode(text[1:])
    if kind == "d":
        pos = np.cumsum(varint_values(payload) + 1) - 1
    elif kind == "b":
        bits = np.unpackbits(np.frombuffer(payload, dtype=np.uint8), bitorder="little")
        pos = np.flatnonzero(bits[:n])
    else:
        raise ValueError(f"unknown id-set encoding {kind!r}: expected 'd' or 'b'")
    if len(pos) and pos[-1] >= n:
        raise ValueError(f"position {pos[-1]} beyond the {n} points")
    return pos.astype(np.int64)


def union_ids(texts: Iterable[str], n: int) -> NDArray[np.int64]:
    """The sorted union of several encoded sets (what the page computes for the sites ticked)."""
    mark = np.zeros(n, dtype=bool)
    for text in texts:
        mark[decode_ids(text, n)] = True
    return np.flatnonzero(mark)
