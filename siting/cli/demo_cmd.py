"""``siting demo``: the pipeline on the bundled Monaco data, offline."""

from __future__ import annotations

import argparse

from siting.cli.common import add_lang_option, print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run the whole pipeline on the bundled Monaco data (offline)")
    p.add_argument("--json", action="store_true", help="print a machine-readable summary")
    p.add_argument("--out-dir", default="maps", help="folder for maps and reports (default: maps)")
    p.add_argument("--offline", action="store_true", help="make the HTML outputs self-contained (no CDN)")
    add_lang_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from siting.demo import print_summary, run_demo

    lang = args.lang or "en"  # Monaco: English unless asked
    summary = run_demo(out_dir=args.out_dir, offline=args.offline, lang=lang)
    if args.json:
        print_json(summary)
    else:
        print_summary(summary, lang)
    return 0
