"""Command line: ``spatialecon maps`` (what ``make maps`` runs), ``datasets``, ``match``.

Errors that come from the user's input (unknown dataset, unmatched names, bad files) print
their message and exit with status 2 instead of a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from spatialecon import __version__
from spatialecon.study import StudyError, builtin_studies


def _cmd_run(args: argparse.Namespace) -> None:
    from spatialecon.pipeline import run_study

    if not args.studies:  # `spatialecon run` alone lists what it can run
        print("built-in studies (spatialecon run NAME, or a .toml file):")
        print("\n".join(f"  {name}" for name in builtin_studies()))
        return
    for study in args.studies:
        run_study(study, output=args.output)


def _run_files(study: str) -> list:
    from spatialecon.pipeline import run_study

    return [str(f) for f in run_study(study).files]


def _cmd_maps(args: argparse.Namespace) -> None:
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    from spatialecon.pipeline import DEFAULT_STUDIES, OUTPUTS
    from spatialecon.report import write_index

    jobs = args.jobs or min(len(DEFAULT_STUDIES), os.cpu_count() or 1)
    print(f"spatialecon {__version__}: the built-in studies {', '.join(DEFAULT_STUDIES)}"
          + (f", {jobs} at a time (--jobs)" if jobs > 1 else ""))
    if jobs == 1:
        files = [f for study in DEFAULT_STUDIES for f in _run_files(study)]
    else:
        # The studies are independent (own output folders; each writes atomically): one
        # process each. Forked where the platform allows, so children share the parent's
        # imports instead of paying them again (~9 s of CPU).
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        import spatialecon.pipeline  # noqa: F401 - imported once, before the fork

        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context(method)) as pool:
            files = [f for part in pool.map(_run_files, DEFAULT_STUDIES) for f in part]
    write_index(OUTPUTS)  # once more, after all: a study run in parallel listed what it saw
    print(f"done: {len(files)} file(s)")


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

    maps = sub.add_parser("maps", help="run the built-in studies (what `make maps` does)")
    maps.add_argument("--jobs", type=int, default=0,
                      help="studies run at once, one process each (default: one per core, "
                           "at most one per study; 1 runs them in turn)")
    maps.set_defaults(func=_cmd_maps)

    run = sub.add_parser("run", help="run a study file (.toml) or a built-in study by name")
    run.add_argument("studies", nargs="*", help="study files or names (none: list them)")
    run.add_argument("--output", help="output folder instead of the study's own")
    run.set_defaults(func=_cmd_run)

    studies = sub.add_parser("studies", help="list the built-in studies")
    studies.set_defaults(func=lambda _: print("\n".join(builtin_studies())))

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
    except (StudyError, ValueError, KeyError, FileNotFoundError) as err:
        # input problems: the message names what to fix; a traceback would bury it
        message = err.args[0] if isinstance(err, KeyError) and err.args else err
        print(f"spatialecon: error: {message}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
