"""``siting network``: build a travel-time network and report its size."""

from __future__ import annotations

import argparse

from siting.cli.common import add_network_options, network_from_args, print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("network", help="build a walk, bike or drive travel-time network from OSM data")
    p.add_argument("source", metavar="SOURCE", help="OSM file (.osm.pbf, .osm, .osm.bz2), GraphML, or (online) a place name or bbox W,S,E,N")
    add_network_options(p, source_flag=None)
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.add_argument("--out", default=None, help="write the graph: .graphml, .gpkg (nodes and edges layers) or .npz")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from siting.errors import SitingError

    net = network_from_args(args)
    summary = net.summary()
    if args.out:
        out = Path(args.out)
        if out.exists() and out.resolve() == Path(args.source).resolve():
            raise SitingError(f"{out}: refusing to overwrite the input file; choose another --out")
        summary["out"] = str(write_network(net, out))
    if args.json:
        print_json(summary)
    else:
        print(
            f"{summary['mode']} network: {summary['nodes']:,} nodes, {summary['edges']:,} edges, "
            f"{summary['length_km']:,} km (dropped {summary['dropped_nodes']:,} nodes outside the largest "
            f"strongly connected component)"
        )
        if args.out:
            print(f"written: {summary['out']}")
    return 0


def write_network(net, out):  # type: ignore[no-untyped-def]
    """Write ``net`` to ``out`` by suffix: GraphML, GeoPackage or npz (atomically)."""
    from pathlib import Path

    from siting.errors import SitingError
    from siting.io import atomic_path, write_geodataframe
    from siting.network.store import save_npz

    out = Path(out)
    suffix = out.suffix.lower()
    if suffix == ".npz":
        return save_npz(net, out)
    if suffix == ".gpkg":
        write_geodataframe(out.with_suffix(".nodes.gpkg"), net.nodes_frame())
        return write_geodataframe(out, net.edges_frame())
    if suffix == ".graphml":
        import osmnx as ox

        with atomic_path(out) as tmp:
            ox.save_graphml(net.to_networkx(), tmp)
        return out
    raise SitingError(f"{out}: unknown output format '{suffix}'; use .graphml, .gpkg or .npz")
