"""Point sets as base64 texts (siting.maps.idsets): hand-worked encodings, round trips, unions."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from siting.maps.idsets import decode_ids, encode_ids, union_ids, varint_bytes, varint_values


def test_varints_by_hand():
    # LEB128's own example: 624485 = 0b100110_0001110_1100101 -> E5 8E 26
    assert varint_bytes([624485]) == bytes([0xE5, 0x8E, 0x26])
    assert varint_bytes([0, 1, 127, 128, 300]) == bytes([0x00, 0x01, 0x7F, 0x80, 0x01, 0xAC, 0x02])
    big = np.array([2**63 - 1, 2**35, 0], dtype=np.uint64)
    assert varint_values(varint_bytes(big)).astype(np.uint64).tolist() == big.tolist()
    with pytest.raises(ValueError):
        varint_values(bytes([0x80]))  # says more follows, and nothing does


def test_the_shorter_form_is_chosen():
    # sparse: positions 3, 10, 500 are the gaps-minus-one 3, 6, 489, as varints 03 06 E9 03
    text = encode_ids([3, 10, 500], 100_000)
    assert text == "d" + base64.b64encode(bytes([3, 6, 0xE9, 0x03])).decode()
    # dense: positions 0, 1, 2 and 5 of 10 are bits 0b00100111 in the first byte
    assert encode_ids([5, 0, 2, 1, 1], 10) == "b" + base64.b64encode(bytes([0x27, 0x00])).decode()
    assert decode_ids(encode_ids([], 7), 7).tolist() == []
    with pytest.raises(ValueError):
        encode_ids([10], 10)
    with pytest.raises(ValueError):
        decode_ids("x", 3)


@pytest.mark.parametrize("n", [1, 9, 1000, 70_000])
def test_round_trip(n):
    rng = np.random.default_rng(n)
    for size in (0, 1, 5, n // 3, n):
        ids = rng.choice(n, size=min(size, n), replace=False)
        assert decode_ids(encode_ids(ids, n), n).tolist() == sorted(ids.tolist())
    far = [0, n - 1] if n > 1 else [0]  # the largest gap
    assert decode_ids(encode_ids(far, n), n).tolist() == far


def test_union_equals_the_python_union():
    rng = np.random.default_rng(7)
    n = 5000
    sets = [set(rng.choice(n, size=k, replace=False).tolist()) for k in (0, 3, 40, 900, 4000)]
    texts = [encode_ids(sorted(s), n) for s in sets]
    assert {t[0] for t in texts} == {"b", "d"}  # both forms take part
    for pick in ([0], [1, 2], [2, 3], [0, 1, 2, 3, 4], []):
        expected = sorted(set().union(*(sets[i] for i in pick)))
        assert union_ids([texts[i] for i in pick], n).tolist() == expected
