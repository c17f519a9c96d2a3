"""Command line: ``spatialecon maps`` (what ``make maps`` runs), ``datasets``, ``match``.

Errors that come from the user's input (unknown dataset, unmatched names, bad files) print
their message and exit with status 2 instead of a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from spatialecon import __version__


def _cmd_maps(args: argparse.Namespace) -> None:
    from spatialecon.pipeline import DEFAULT_MAPS, MapSpec, run_analyses, run_maps

    if args.dataset:
        if not args.variable:
            raise ValueError("--dataset needs --variable (see `spatialecon datasets`)")
        year: int | str | None = args.year
        if isinstance(year, str) and year.isdigit():
            year = int(year)
        specs: Sequence[MapSpec] = [MapSpec(args.dataset, args.variable, year=year,
                                            scheme=args.scheme, k=args.k)]
    else:
        specs = DEFAULT_MAPS
    out = Path(args.out)
    print(f"spatialecon {__version__}: {len(specs)} map(s) into {out / 'maps'}/")
    written = run_maps(specs, out / "maps", formats=args.formats.split(","),
                       html=not args.no_html)
    if not args.dataset and not args.no_analyses:
        written += run_analyses(out, permutations=args.permutations)
    print(f"done: {len(written)} file(s) in {out}/")


def _cmd_datasets(args: argparse.Namespace) -> None:
    from spatialecon import datasets

    for name in datasets.available():
        meta = datasets.describe(name)
        variables = ", ".join(meta.get("variables", {}))
        print(f"{name}: {meta['title']['en']}\n    variables: {variables}")


def _cmd_match(args: argparse.Namespace) -> None:
    from spatialecon.geodata import match_report

    report = match_report(args.keys, args.level, within=args.within)
    print(report.drop(columns=["within"]).to_string(index=False))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="spatialecon", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"spatialecon {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    maps = sub.add_parser("maps", help="draw the default study's maps (or one dataset variable)")
    maps.add_argument("--out", default="outputs",
                      help="output folder: maps/ and tables/ go inside (default %(default)s)")
    maps.add_argument("--formats", default="png",
                      help="static formats, comma-separated: png,svg,pdf (default %(default)s)")
    maps.add_argument("--no-html", action="store_true", help="skip the HTML maps")
    maps.add_argument("--no-analyses", action="store_true",
                      help="maps only: skip the coupling, Theil and Moran tables")
    maps.add_argument("--permutations", type=int, default=999,
                      help="permutations of the Moran tests (default %(default)s)")
    maps.add_argument("--dataset", help="an embedded dataset instead of the default study")
    maps.add_argument("--variable", help="the variable of --dataset to map")
    maps.add_argument("--year", help="a year, or 'latest'")
    maps.add_argument("--scheme", default="natural_breaks",
                      help="natural_breaks, quantiles, equal_interval, std_mean")
    maps.add_argument("-k", type=int, default=5, help="number of classes (default 5)")
    maps.set_defaults(func=_cmd_maps)

    data = sub.add_parser("datasets", help="list the embedded datasets and their variables")
    data.set_defaults(func=_cmd_datasets)

    match = sub.add_parser("match", help="show the codes that names or codes match")
    match.add_argument("keys", nargs="+")
    match.add_argument("--level", default="province", choices=["province", "prefecture", "county"])
    match.add_argument("--within", help="a province or prefecture, for repeated county names")
    match.set_defaults(func=_cmd_match)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except (ValueError, KeyError, FileNotFoundError) as err:
        # input problems: the message names what to fix; a traceback would bury it
        message = err.args[0] if isinstance(err, KeyError) and err.args else err
        print(f"spatialecon: error: {message}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
