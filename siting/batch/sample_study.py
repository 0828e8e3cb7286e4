"""A batch study of a chosen size on the bundled Monaco extract: to try a cluster, to time one, to test resume.

Every job does real work: an ``access`` job on the Monaco walk network with
``n_facilities`` network nodes (evenly spread over the node list) as its
facilities, so a bounded search runs from each of them; the jobs differ only
in their time limit (``first_minutes``, ``first_minutes + 1``, ...).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from siting.io import write_text


def write_monaco_access_study(folder: str | Path, *, n_jobs: int, n_facilities: int, first_minutes: int = 10) -> Path:
    """Write ``folder/facilities.csv`` and ``folder/study.yaml`` (the manifest, returned).

    Parameters
    ----------
    n_jobs
        Number of jobs (time limits).
    n_facilities
        Network nodes used as facilities: the work per job grows with it.
    first_minutes
        The first job's time limit; each next job's is one minute more.
    """
    import yaml

    from siting.inputs.bundled import data_path
    from siting.network import load_network

    folder = Path(folder)
    network = data_path("osm", "monaco.osm.pbf")
    net = load_network(network, "walk")
    pick = np.linspace(0, net.n_nodes - 1, n_facilities).astype(int)
    lines = ["id,lon,lat"] + [f"n{i},{net.lon[i]:.7f},{net.lat[i]:.7f}" for i in pick]
    write_text(folder / "facilities.csv", "\n".join(lines) + "\n")
    grid = {"kind": "access", "network": str(network), "facilities": "facilities.csv", "mode": "walk",
            "vary": {"minutes": [first_minutes + i for i in range(n_jobs)]}}
    return write_text(folder / "study.yaml", yaml.safe_dump({"grids": [grid]}))
