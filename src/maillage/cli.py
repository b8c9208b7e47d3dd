"""The ``maillage`` command.

``maillage demo``      migrate, load the demo centre if the database is empty, serve it
``maillage serve``     serve the application (waitress) — production entry point
``maillage generate``  scale data: ``--persons N [--entries M]``
``maillage <django command>``  any Django management command (migrate, createsuperuser…)
"""

from __future__ import annotations

import argparse
import os
import sys


def _setup(defaults: dict[str, str] | None = None) -> None:
    for key, value in (defaults or {}).items():
        os.environ.setdefault(key, value)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maillage.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


def _collect_static() -> None:
    """``collectstatic``, unless exactly these files were collected last time.

    It compresses every file again (brotli), which takes half a minute: a server restarted
    after a crash would wait as long. The sources' names, sizes and dates, the storage and
    Django's version say whether anything changed; the mark is removed while collecting,
    so an interrupted collection is done again at the next start."""
    import hashlib

    import django
    from django.conf import settings
    from django.contrib.staticfiles.finders import get_finders
    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.core.management import call_command

    sources: list[tuple[str, str, str, int, int]] = []
    for finder in get_finders():
        for path, storage in finder.list([]):
            full = storage.path(path)
            found = os.stat(full)
            prefix = getattr(storage, "prefix", None) or ""
            sources.append((prefix, path, full, found.st_size, found.st_mtime_ns))
    state = repr((django.VERSION, str(settings.STATIC_ROOT), settings.STORAGES, sorted(sources)))
    fingerprint = hashlib.sha256(state.encode()).hexdigest()
    mark = settings.DATA_DIR / "static.collected"
    manifest = getattr(staticfiles_storage, "manifest_name", None)
    if (
        mark.is_file()
        and mark.read_text(encoding="utf-8") == fingerprint
        and (manifest is None or staticfiles_storage.exists(manifest))
    ):
        return
    mark.unlink(missing_ok=True)
    call_command("collectstatic", interactive=False, verbosity=0)
    mark.with_suffix(".tmp").write_text(fingerprint, encoding="utf-8")
    mark.with_suffix(".tmp").replace(mark)


def _serve(host: str, port: int, threads: int) -> None:
    from waitress import serve

    _collect_static()
    from maillage.rights.openfisca import preload
    from maillage.wsgi import application  # after collectstatic: whitenoise scans at start

    preload()  # the rules of OpenFisca-France load while the server starts (seconds)

    # Behind nginx on the same machine (docs/deploiement.md): believe what it forwards —
    # HTTPS, the client's address and the host —, from 127.0.0.1 only.
    serve(
        application,
        host=host,
        port=port,
        threads=threads,
        ident="maillage",
        trusted_proxy="127.0.0.1",
        trusted_proxy_headers={"x-forwarded-proto", "x-forwarded-for", "x-forwarded-host"},
    )


DEMO_ENV = {
    "MAILLAGE_DEBUG": "false",
    "MAILLAGE_HTTPS": "false",
    "MAILLAGE_REQUIRE_MFA": "false",
    "MAILLAGE_EMAIL_BACKEND": "console",
}


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = {"demo", "serve", "generate"}
    if not argv or argv[0] not in commands:
        _setup()
        from django.core.management import execute_from_command_line

        execute_from_command_line(["maillage", *argv])
        return
    parser = argparse.ArgumentParser(prog="maillage")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the demo centre on this machine")
    serve_p = sub.add_parser("serve", help="serve the application")
    for p in (demo, serve_p):
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=8000)
        p.add_argument("--threads", type=int, default=8)
    demo.add_argument("--no-serve", action="store_true", help="prepare the data and stop")
    gen = sub.add_parser("generate", help="generate synthetic scale data")
    gen.add_argument("--persons", type=int, required=True)
    gen.add_argument("--entries", type=int, default=0, help="about this many journal entries")
    gen.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)

    if args.command == "demo":
        _setup(DEMO_ENV)
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        call_command("load_demo")
        from django.utils.translation import gettext as _

        url = f"http://{args.host}:{args.port}/"
        print("\n" + _("Maillage demo: %(url)s") % {"url": url} + "\n", flush=True)
        if not args.no_serve:
            _serve(args.host, args.port, args.threads)
    elif args.command == "serve":
        _setup()
        _serve(args.host, args.port, args.threads)
    elif args.command == "generate":
        _setup()
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        call_command("generate", persons=args.persons, entries=args.entries, seed=args.seed)
