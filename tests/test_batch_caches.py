"""What a batch worker keeps between jobs (siting.batch.caches)."""

from __future__ import annotations

import os
from pathlib import Path

from siting.batch.caches import RecentCache, get_network, input_key, network_spec


def test_recent_cache_builds_once_and_forgets_the_least_recently_used() -> None:
    cache: RecentCache[str] = RecentCache(2)
    built: list[str] = []

    def builder(key: str):  # type: ignore[no-untyped-def]
        return lambda: built.append(key) or key.upper()

    assert [cache.get(k, builder(k)) for k in ("a", "b", "a", "c", "a", "b")] == ["A", "B", "A", "C", "A", "B"]
    # 'a' was used after 'b', so 'c' pushed out 'b'; 'a' stayed.
    assert built == ["a", "b", "c", "b"]
    assert list(cache.entries) == ["a", "b"]


def test_network_identity_follows_file_mode_and_speeds(tmp_path: Path, kotka_pbf: Path) -> None:
    params = {"network": str(kotka_pbf), "mode": "walk"}
    st = os.stat(kotka_pbf)
    assert network_spec(params) == (str(kotka_pbf), st.st_size, st.st_mtime_ns, "walk", None, None)
    assert network_spec({**params, "walk_kmh": 4.5}) != network_spec(params)
    assert network_spec({"network": str(tmp_path / "gone.pbf")})[1:3] == (-1, -1)
    assert get_network(params) is get_network(dict(params))  # built once on this worker
    csv = tmp_path / "points.csv"
    csv.write_text("id,lon,lat\n", encoding="utf-8")
    assert input_key(str(csv))[:2] == (str(csv), 11)
    assert input_key([{"id": 1}]) == input_key([{"id": 1}]) != input_key([{"id": 2}])
