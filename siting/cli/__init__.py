"""The ``siting`` command line: one module per sub-command.

Every module ``siting/cli/*_cmd.py`` defines ``register(subparsers)``, which adds
its parser and sets ``func`` (a callable taking the parsed namespace and
returning an exit code). Errors derived from :class:`siting.errors.SitingError`
are printed as one clear message with exit status 2, never as a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from siting.errors import SitingError


def command_modules() -> list[str]:
    """Names of the sub-command modules (``siting/cli/*_cmd.py``), sorted."""
    import pkgutil

    import siting.cli as pkg

    return sorted(
        f"siting.cli.{m.name}" for m in pkgutil.iter_modules(pkg.__path__) if m.name.endswith("_cmd")
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="siting",
        description="Plan and check elderly-care and childcare facilities on real road networks.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in command_modules():
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except SitingError as exc:
        from siting.cli.common import format_error, resolve_lang

        lang = resolve_lang(args)
        print(f"siting: {'错误' if lang == 'zh' else 'error'}: {format_error(exc, lang)}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (e.g. `siting ... | head`): not an error of ours.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("siting: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
