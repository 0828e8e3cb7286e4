"""Options and helpers shared by the sub-commands (network options, JSON output)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from siting.coords import INPUT_CRS

if TYPE_CHECKING:
    from siting.network import RoadNetwork


def add_network_options(parser: argparse.ArgumentParser, *, source_flag: str | None = "--network") -> None:
    """Add the network source, ``--mode`` and speed options.

    With ``source_flag=None`` the caller adds the source itself (e.g. as a
    positional argument named ``source``).
    """
    if source_flag:
        parser.add_argument(
            source_flag,
            dest="source",
            required=True,
            metavar="SOURCE",
            help="OSM file (.osm.pbf, .osm, .osm.bz2), GraphML, or (online) a place name or bbox W,S,E,N",
        )
    parser.add_argument("--mode", default="walk", help="walk, bike or drive (default: walk)")
    parser.add_argument(
        "--walk-speed",
        type=float,
        default=None,
        metavar="KMH",
        help="walking speed in km/h (default 3.6 = 1.0 m/s, suited to older pedestrians)",
    )
    parser.add_argument("--bike-speed", type=float, default=None, metavar="KMH", help="cycling speed in km/h (default 12)")
    parser.add_argument("--no-cache", action="store_true", help="rebuild the graph instead of using the disk cache")
    parser.add_argument("--cache-dir", default=None, help="graph cache folder (default ~/.cache/siting or $SITING_CACHE_DIR)")


def add_crs_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--crs",
        default="wgs84",
        choices=INPUT_CRS,
        help="coordinate system of input points: wgs84 (default), gcj02 (Amap/Gaode, adcode) or bd09 (Baidu)",
    )


def network_from_args(args: argparse.Namespace) -> RoadNetwork:
    """Load the network named by the options of :func:`add_network_options`."""
    from siting.network import check_mode, load_network
    from siting.network.speeds import SpeedProfile

    check_mode(args.mode)
    profile = SpeedProfile.with_speeds(args.walk_speed, args.bike_speed)
    return load_network(args.source, args.mode, profile, cache=not args.no_cache, cache_dir=args.cache_dir)


def print_json(obj: Any) -> None:
    """Print one JSON document to stdout (UTF-8, Chinese kept readable)."""
    from siting.io import to_json

    sys.stdout.write(to_json(obj) + "\n")


def warn(message: str, lang: str | None = "en") -> None:
    """A warning on stderr (stdout stays clean for --json), its prefix in ``lang``."""
    print(f"siting: {'警告' if lang == 'zh' else 'warning'}: {message}", file=sys.stderr)


def add_lang_option(parser: argparse.ArgumentParser) -> None:
    """``--lang zh|en``: the language of the summary, the reports and the error hints."""
    parser.add_argument("--lang", choices=("zh", "en"), default=None,
                        help="language of the summary, reports and maps: zh (中文) or en; default: the scenario's "
                             "(its lang, else the language of its title), else Chinese for the Chinese rule packs")


def resolve_lang(args: argparse.Namespace) -> str:
    """The language of a command: ``--lang``, else the scenario's, else its rule pack's, else English.

    Never fails: a scenario that cannot be read leaves English (its error is reported anyway).
    """
    from siting.i18n import default_lang

    if getattr(args, "lang", None):
        return str(args.lang)
    scenario = getattr(args, "scenario", None)
    if scenario:
        try:
            from siting.inputs.scenario import load_scenario

            sc = load_scenario(scenario)
            return default_lang(getattr(args, "rules", None) or sc.rules, sc.title, sc.lang)
        except Exception:  # the command itself reports a bad scenario
            return "en"
    return default_lang(getattr(args, "rules", None))


def format_error(exc: Exception, lang: str) -> str:
    """An error as the command line prints it, in ``lang`` (file, row and field; message; hint)."""
    from siting.errors import InputError
    from siting.i18n import translate_text

    if lang != "zh":
        return str(exc)
    if not isinstance(exc, InputError):
        return translate_text(str(exc), lang)
    where = [exc.path] if exc.path else []
    if exc.row is not None:
        where.append(f"第 {exc.row} 行")
    if exc.field is not None:
        where.append(f"字段「{exc.field}」")
    text = ("，".join(where) + "：" if where else "") + translate_text(exc.message, lang)
    return text + (f"。{translate_text(exc.hint, lang)}" if exc.hint else "")
