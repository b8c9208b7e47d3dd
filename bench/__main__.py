"""``uv run python -m bench NAME [--size small|full]`` — see ``docs/benchmarks.md``."""

from __future__ import annotations

import argparse
import importlib

from bench import SIZES, emit, log, setup_django

BENCHMARKS = (
    "generate",
    "search",
    "dedup",
    "timeline",
    "audit_overhead",
    "directory_import",
    "directory_search",
    "team_home",
    "agenda_week",
    "agenda_desk",
    "free_slots",
    "renewals",
    "rights_estimate",
    "fhir_export",
    "fhir_search",
    "backup",
    "access_log",
    "load",
)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("name", choices=BENCHMARKS)
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    args = parser.parse_args(argv)
    database = setup_django()
    persons = SIZES[args.size]
    log(f"{args.name}: {persons} persons on {database}")
    module = importlib.import_module(f"bench.{args.name}")
    figures = module.run(persons)
    emit(args.name, args.size, database, figures)


if __name__ == "__main__":
    main()
