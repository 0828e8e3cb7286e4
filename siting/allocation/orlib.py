"""Readers for the published location-allocation benchmarks (OR-Library and SJC), with their optima.

The instances are not part of siting: they are read from a folder laid out as
``shared/benchmarks/orlib`` (``pmed/pmedK.txt``, ``pmedcap/pmedcapNN.txt``, ``sjc/SJC*.dat`` and
``optima.csv``). Each reader follows the conventions the optima were computed with:

- ``pmed`` (Beasley 1990): an undirected graph; a duplicated edge takes its **last** cost (either
  orientation); costs are shortest-path lengths; every node is a demand point and a candidate,
  weight 1.
- ``pmedcap`` (Osman & Christofides 1994): points with a demand and one capacity for all;
  costs are **floored** Euclidean distances, not weighted by demand; single sourcing.
- SJC (Lorena & Senne 2004): points with a capacity and a demand each; **real** Euclidean
  distances, not weighted by demand; single sourcing.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import shortest_path

from siting.errors import InputError


@dataclass(frozen=True)
class Instance:
    """A published instance: a dense cost matrix (demand points x candidates, here the same points) and ``p``.

    Attributes
    ----------
    name
        e.g. 'pmed1', 'pmedcap01', 'SJC1'.
    family
        'pmed', 'pmedcap' or 'sjc'.
    cost
        Costs, demand points x candidates.
    p
        Sites to open.
    demand
        Demand each point puts on its site's capacity (capacitated families), else None.
    capacity
        Capacity per candidate (capacitated families), else None.
    """

    name: str
    family: str
    cost: np.ndarray
    p: int
    demand: np.ndarray | None = None
    capacity: np.ndarray | None = None


def _numbers(path: Path) -> list[list[float]]:
    if not path.is_file():
        raise InputError("file not found", path=str(path), hint="give the folder of the published benchmarks")
    with path.open(encoding="utf-8") as fh:
        return [[float(t) for t in line.split()] for line in fh if line.strip()]


def read_pmed(path: str | Path) -> Instance:
    """An OR-Library ``pmedK.txt``: ``n m p`` then ``m`` lines ``i j cost`` (1-indexed, undirected, last one wins)."""
    path = Path(path)
    lines = _numbers(path)
    n, m, p = (int(v) for v in lines[0][:3])
    edges = np.asarray(lines[1: m + 1], dtype=float)
    if edges.shape != (m, 3):
        raise InputError(f"expected {m} edge lines of 'i j cost', found {edges.shape[0]}", path=str(path))
    i, j = edges[:, 0].astype(int) - 1, edges[:, 1].astype(int) - 1
    a, b = np.minimum(i, j), np.maximum(i, j)
    # the last occurrence of an edge (either orientation) wins: keep, per pair, the line with the highest index
    key = a * n + b
    _, last = np.unique(key[::-1], return_index=True)
    keep = len(key) - 1 - last
    w = edges[keep, 2]
    g = sp.coo_matrix((np.concatenate([w, w]), (np.concatenate([a[keep], b[keep]]), np.concatenate([b[keep], a[keep]]))),
                      shape=(n, n)).tocsr()
    return Instance(path.stem, "pmed", shortest_path(g, directed=False), p)


def read_pmedcap(path: str | Path) -> Instance:
    """An Osman–Christofides ``pmedcapNN.txt``: ``num best`` / ``n p capacity`` / n lines ``id x y demand``."""
    path = Path(path)
    lines = _numbers(path)
    n, p, cap = int(lines[1][0]), int(lines[1][1]), float(lines[1][2])
    pts = np.asarray(lines[2: 2 + n], dtype=float)
    if pts.shape != (n, 4):
        raise InputError(f"expected {n} lines of 'id x y demand'", path=str(path))
    xy = pts[:, 1:3]
    cost = np.floor(np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2)))
    return Instance(path.stem, "pmedcap", cost, p, pts[:, 3].copy(), np.full(n, cap))


def read_sjc(path: str | Path) -> Instance:
    """A Lorena–Senne ``SJC*.dat``: ``n p`` then n lines ``x y capacity demand`` (UTM metres)."""
    path = Path(path)
    lines = _numbers(path)
    n, p = int(lines[0][0]), int(lines[0][1])
    pts = np.asarray(lines[1: 1 + n], dtype=float)
    if pts.shape != (n, 4):
        raise InputError(f"expected {n} lines of 'x y capacity demand'", path=str(path))
    xy = pts[:, :2]
    cost = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))
    return Instance(path.stem, "sjc", cost, p, pts[:, 3].copy(), pts[:, 2].copy())


def instance_path(folder: str | Path, name: str) -> Path:
    """Where instance ``name`` ('pmed7', 'pmedcap03', 'SJC2') lies in the benchmark folder."""
    folder = Path(folder)
    if name.startswith("pmedcap"):
        return folder / "pmedcap" / f"{name}.txt"
    if name.startswith("pmed"):
        return folder / "pmed" / f"{name}.txt"
    return folder / "sjc" / f"{name}.dat"


def read_instance(folder: str | Path, name: str) -> Instance:
    """Instance ``name`` from the benchmark folder, by its family's reader."""
    path = instance_path(folder, name)
    if name.startswith("pmedcap"):
        return read_pmedcap(path)
    if name.startswith("pmed"):
        return read_pmed(path)
    return read_sjc(path)


def read_optima(folder: str | Path) -> dict[str, float]:
    """The published optimum of every instance, from the folder's ``optima.csv`` (``instance,...,optimum``)."""
    path = Path(folder) / "optima.csv"
    if not path.is_file():
        raise InputError("file not found", path=str(path), hint="give the folder of the published benchmarks")
    with path.open(encoding="utf-8") as fh:
        return {row["instance"]: float(row["optimum"]) for row in csv.DictReader(fh)}
