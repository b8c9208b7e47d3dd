"""The production install in ``deploy/`` (docs/deploiement.md): syntax and consistency.

The real tools check the files where they are installed: ``nginx -t``, ``logrotate -d``,
``systemd-analyze verify``. nginx, logrotate and openssl are installed by CI (``.ci/run``):
there (``CI`` set) a missing one fails the test; elsewhere the test is skipped and says
why. ``systemd-analyze`` is used when it exists and works on this machine (it does not in
every container); only that check is skipped otherwise.
"""

from __future__ import annotations

import configparser
import os
import pwd
import re
import secrets
import shlex
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
UNITS = DEPLOY / "systemd"
NGINX_SITE = DEPLOY / "nginx" / "maillage.conf"
LOGROTATE = DEPLOY / "logrotate" / "maillage"
ENV_EXAMPLE = DEPLOY / "maillage.env.example"
GUIDE = ROOT / "docs" / "deploiement.md"
SETTINGS_SOURCE = (ROOT / "src" / "maillage" / "settings.py").read_text(encoding="utf-8")
CLI_SOURCE = (ROOT / "src" / "maillage" / "cli.py").read_text(encoding="utf-8")
BACKUP_SOURCE = (
    ROOT / "src" / "maillage" / "core" / "management" / "commands" / "backup.py"
).read_text(encoding="utf-8")
WORKER_SOURCE = (
    ROOT / "src" / "maillage" / "agenda" / "management" / "commands" / "worker.py"
).read_text(encoding="utf-8")

VENV_MAILLAGE = "/opt/maillage/.venv/bin/maillage"
ENV_FILE = "/etc/maillage/maillage.env"
# unit file -> (maillage subcommand, source that declares its options, accepted Restart=)
SERVICES = {
    "maillage.service": ("serve", CLI_SOURCE, {"on-failure"}),
    "maillage-worker.service": ("worker", WORKER_SOURCE, {"on-failure", "always"}),
}
# Headers Django sets itself (settings.py); nginx must not add them a second time.
DJANGO_HEADERS = {
    "strict-transport-security": "SECURE_HSTS_SECONDS = ",
    "x-content-type-options": "SECURE_CONTENT_TYPE_NOSNIFF = True",
    "x-frame-options": 'X_FRAME_OPTIONS = "DENY"',
    "referrer-policy": "SECURE_REFERRER_POLICY = ",
    "cross-origin-opener-policy": 'SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"',
    "content-security-policy": "CONTENT_SECURITY_POLICY = content_security_policy(",
}
MIB = 1024 * 1024


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def required_tool(name: str) -> str:
    """The path of a tool CI installs: a failure in CI when it is missing, else a skip."""
    path = shutil.which(name, path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin"]))
    if path:
        return path
    message = f"{name} is not installed (apt-get install {name}; .ci/run installs it)"
    if in_ci():
        pytest.fail(message)
    pytest.skip(message)


def run(*argv: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(arg) for arg in argv], capture_output=True, text=True, timeout=120, check=False
    )


# --- systemd -----------------------------------------------------------------------------


def read_unit(path: Path) -> configparser.ConfigParser:
    """A unit file as systemd reads it, strictly: no duplicate section or key, no
    interpolation, keys case-sensitive."""
    parser = configparser.ConfigParser(
        strict=True,
        interpolation=None,
        delimiters=("=",),
        comment_prefixes=("#", ";"),
        empty_lines_in_values=False,
    )
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(path.read_text(encoding="utf-8"), source=str(path))
    return parser


BACKUP_UNIT = "maillage-backup.service"
BACKUP_TIMER = "maillage-backup.timer"


def test_there_are_the_two_services_and_the_nightly_backup():
    assert sorted(p.name for p in UNITS.glob("*.service")) == sorted([*SERVICES, BACKUP_UNIT])
    assert [p.name for p in UNITS.glob("*.timer")] == [BACKUP_TIMER]


@pytest.mark.parametrize("unit_name", sorted(SERVICES))
def test_the_unit_runs_the_right_maillage_command(unit_name):
    command, options_source, restarts = SERVICES[unit_name]
    unit = read_unit(UNITS / unit_name)
    assert unit.sections() == ["Unit", "Service", "Install"]
    service = unit["Service"]
    assert service["User"] == "maillage"
    assert service["Group"] == "maillage"
    assert service["EnvironmentFile"] == ENV_FILE
    assert service["WorkingDirectory"] == "/opt/maillage"
    assert service["Restart"] in restarts
    argv = shlex.split(service["ExecStart"])
    assert argv[:2] == [VENV_MAILLAGE, command]
    for option in (arg.split("=", 1)[0] for arg in argv[2:] if arg.startswith("--")):
        declared = re.search(rf'add_argument\(\s*"{re.escape(option)}"', options_source)
        assert declared, f"{option} is not an option of maillage {command}"
    after = unit["Unit"]["After"].split()
    assert "network-online.target" in after
    assert "postgresql.service" in after
    assert unit["Install"]["WantedBy"] == "multi-user.target"
    # The application logs to standard error (journald), never to a file of its own.
    for key in ("StandardOutput", "StandardError"):
        assert not service.get(key, "").startswith(("file:", "append:")), key


@pytest.mark.parametrize("unit_name", sorted([*SERVICES, BACKUP_UNIT]))
def test_the_unit_is_hardened(unit_name):
    service = read_unit(UNITS / unit_name)["Service"]
    assert service["NoNewPrivileges"] == "true"
    assert service["ProtectSystem"] == "strict"
    assert service["ProtectHome"] == "true"
    assert service["PrivateTmp"] == "true"
    # The only places it writes: the data directory of the environment file, and for the
    # backup its folder.
    env = env_example()
    writes = [env["MAILLAGE_DATA_DIR"]]
    if unit_name == BACKUP_UNIT:
        writes.append(env["MAILLAGE_BACKUP_DIR"])
    assert service["ReadWritePaths"].split() == writes
    assert service["CapabilityBoundingSet"] == ""


def test_the_backup_runs_every_night_and_keeps_a_month():
    unit = read_unit(UNITS / BACKUP_UNIT)
    assert unit.sections() == ["Unit", "Service"]  # started by its timer only
    service = unit["Service"]
    assert service["Type"] == "oneshot"
    assert (service["User"], service["EnvironmentFile"]) == ("maillage", ENV_FILE)
    assert "postgresql.service" in unit["Unit"]["After"].split()
    argv = shlex.split(service["ExecStart"])
    assert argv[:2] == [VENV_MAILLAGE, "backup"]
    options = dict(zip(argv[2::2], argv[3::2], strict=True))
    assert int(options["--keep-days"]) >= 7
    for option in options:
        assert re.search(rf'add_argument\(\s*"{re.escape(option)}"', BACKUP_SOURCE), option
    timer = read_unit(UNITS / BACKUP_TIMER)
    assert timer["Timer"]["Unit"] == BACKUP_UNIT
    assert timer["Timer"]["Persistent"] == "true"
    assert timer["Timer"]["OnCalendar"]
    assert timer["Install"]["WantedBy"] == "timers.target"
    # The key is given by a file, and the backups go where the unit may write.
    env = env_example()
    assert env["MAILLAGE_BACKUP_KEY_FILE"].startswith("/etc/maillage/")
    assert env["MAILLAGE_BACKUP_DIR"] == "/var/backups/maillage"


def test_the_web_process_listens_on_loopback_where_nginx_sends():
    argv = shlex.split(read_unit(UNITS / "maillage.service")["Service"]["ExecStart"])
    options = dict(zip(argv[2::2], argv[3::2], strict=True))
    assert options["--host"] == "127.0.0.1"
    targets = {d.args[0] for d in walk(nginx_site()) if d.name == "proxy_pass"}
    assert targets == {f"http://127.0.0.1:{options['--port']}"}


def test_maillage_serve_believes_what_nginx_forwards(monkeypatch):
    """waitress clears the X-Forwarded-* headers of a peer it does not trust: the proxy
    on 127.0.0.1 must be trusted for X-Forwarded-Proto (HTTPS) and X-Forwarded-For (the
    client's address, used to limit wrong activation codes)."""
    import django.core.management
    import waitress
    from waitress.adjustments import Adjustments
    from waitress.proxy_headers import proxy_headers_middleware

    from maillage import cli
    from maillage.rights import openfisca

    options: dict[str, object] = {}
    monkeypatch.setattr(waitress, "serve", lambda app, **kw: options.update(kw))
    monkeypatch.setattr(django.core.management, "call_command", lambda *a, **kw: None)
    monkeypatch.setattr(openfisca, "preload", lambda: None)
    argv = shlex.split(read_unit(UNITS / "maillage.service")["Service"]["ExecStart"])
    flags = dict(zip(argv[2::2], argv[3::2], strict=True))
    cli._serve(flags["--host"], int(flags["--port"]), int(flags.get("--threads", "8")))
    adjustments = Adjustments(**options)
    seen: dict[str, object] = {}

    def app(environ, start_response):
        seen.update(environ)
        return []

    as_waitress_runs_it = proxy_headers_middleware(
        app,
        trusted_proxy=adjustments.trusted_proxy,
        trusted_proxy_count=adjustments.trusted_proxy_count,
        trusted_proxy_headers=adjustments.trusted_proxy_headers,
        clear_untrusted=adjustments.clear_untrusted_proxy_headers,
    )
    from_nginx = {
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "50000",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": flags["--port"],
        "HTTP_HOST": server_name(),
        "wsgi.url_scheme": "http",
        "HTTP_X_FORWARDED_PROTO": "https",
        "HTTP_X_FORWARDED_FOR": "203.0.113.7",
        "HTTP_X_FORWARDED_HOST": server_name(),
    }
    as_waitress_runs_it(dict(from_nginx), lambda *args: None)
    assert "https" in {seen.get("HTTP_X_FORWARDED_PROTO"), seen.get("wsgi.url_scheme")}
    assert seen["REMOTE_ADDR"] == "203.0.113.7"


def systemd_analyze_or_skip(tmp_path: Path) -> str:
    """systemd-analyze, if it is here and verifies a trivial unit on this machine."""
    path = shutil.which("systemd-analyze")
    if not path:
        pytest.skip("systemd-analyze is not installed: units checked with configparser only")
    probe = tmp_path / "probe" / "maillage-probe.service"
    probe.parent.mkdir()
    probe.write_text("[Service]\nType=oneshot\nExecStart=/bin/true\n", encoding="utf-8")
    result = run(path, "verify", probe)
    if result.returncode != 0 or result.stdout.strip() or result.stderr.strip():
        pytest.skip(
            "systemd-analyze verify does not work on this machine "
            f"(trivial unit: exit {result.returncode}: {(result.stdout + result.stderr).strip()})"
        )
    return path


def test_the_units_pass_systemd_analyze_verify(tmp_path):
    analyze = systemd_analyze_or_skip(tmp_path)
    # verify checks that ExecStart is executable: a stand-in for the installed command.
    stub = tmp_path / "bin" / "maillage"
    stub.parent.mkdir()
    stub.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    stub.chmod(0o755)
    copies = []
    for name in sorted([*SERVICES, BACKUP_UNIT, BACKUP_TIMER]):
        text = (UNITS / name).read_text(encoding="utf-8")
        assert VENV_MAILLAGE in text or name == BACKUP_TIMER
        copy = tmp_path / name
        copy.write_text(text.replace(VENV_MAILLAGE, str(stub)), encoding="utf-8")
        copies.append(copy)
    result = run(analyze, "verify", *copies)
    output = (result.stdout + result.stderr).strip()
    assert result.returncode == 0, output
    # Unknown keys and bad values are only warnings: none may be about our units.
    assert [line for line in output.splitlines() if "maillage" in line] == [], output


# --- nginx -------------------------------------------------------------------------------


@dataclass
class Directive:
    name: str
    args: list[str]
    block: list[Directive] | None = None


NGINX_TOKEN = re.compile(
    r"(?P<comment>#[^\n]*)|(?P<quoted>\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')"
    r"|(?P<punct>[{};])|(?P<word>[^\s{};\"']+)"
)


def parse_nginx(text: str) -> list[Directive]:
    """nginx's configuration as a tree of directives (enough of its grammar for ours)."""
    tokens = [
        (m.lastgroup, m.group()) for m in NGINX_TOKEN.finditer(text) if m.lastgroup != "comment"
    ]
    position = 0

    def block(top: bool) -> list[Directive]:
        nonlocal position
        directives: list[Directive] = []
        words: list[str] = []
        while position < len(tokens):
            kind, value = tokens[position]
            position += 1
            if kind == "punct" and value == ";":
                assert words, "empty directive"
                directives.append(Directive(words[0], words[1:]))
                words = []
            elif kind == "punct" and value == "{":
                assert words, "block without a name"
                directives.append(Directive(words[0], words[1:], block(top=False)))
                words = []
            elif kind == "punct" and value == "}":
                assert not top and not words, "unbalanced braces"
                return directives
            else:
                words.append(value[1:-1] if kind == "quoted" else value)
        assert top and not words, "unterminated block or directive"
        return directives

    return block(top=True)


def walk(directives: list[Directive]):
    for directive in directives:
        yield directive
        if directive.block:
            yield from walk(directive.block)


def nginx_site() -> list[Directive]:
    return parse_nginx(NGINX_SITE.read_text(encoding="utf-8"))


def servers() -> dict[str, Directive]:
    """The site's server blocks by port: "80" and "443"."""
    found = {}
    for server in (d for d in nginx_site() if d.name == "server"):
        ports = {d.args[0].rsplit(":", 1)[-1] for d in server.block or [] if d.name == "listen"}
        assert len(ports) == 1, ports
        found[ports.pop()] = server
    assert set(found) == {"80", "443"}
    return found


def directive(server: Directive, name: str) -> list[str]:
    matches = [d for d in server.block or [] if d.name == name]
    assert len(matches) == 1, f"{name}: {len(matches)} times"
    return matches[0].args


def server_name() -> str:
    names = {directive(s, "server_name")[0] for s in servers().values()}
    assert len(names) == 1, names
    return names.pop()


def self_signed_certificate(tmp_path: Path) -> tuple[Path, Path]:
    openssl = required_tool("openssl")
    cert, key = tmp_path / "fullchain.pem", tmp_path / "privkey.pem"
    result = run(
        openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-days", "2", "-subj", f"/CN={server_name()}",
        "-keyout", key, "-out", cert,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return cert, key


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def ipv6_works() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::", 0))
    except OSError:
        return False
    return True


def site_for_test(tmp_path: Path) -> Path:
    """A copy of the site whose certificate and log files are in tmp_path, listening on
    ports any user may open (`nginx -t` opens them; one already in use is accepted)."""
    cert, key = self_signed_certificate(tmp_path)
    logs = tmp_path / "logs"
    logs.mkdir()
    live = f"/etc/letsencrypt/live/{server_name()}/"
    text = NGINX_SITE.read_text(encoding="utf-8")
    for old, new in [
        (live + "fullchain.pem", str(cert)),
        (live + "privkey.pem", str(key)),
        ("/var/log/nginx/maillage/", f"{logs}/"),
    ]:
        assert old in text, old
        text = text.replace(old, new)
    ports = {"80": str(free_port()), "443": str(free_port())}
    text, moved = re.subn(
        r"^(\s*listen\s+(?:\[::\]:)?)(80|443)\b",
        lambda m: m[1] + ports[m[2]],
        text,
        flags=re.M,
    )
    assert moved == 4, "listen: 80 and 443, in IPv4 and IPv6"
    if not ipv6_works():  # a container without IPv6
        text = re.sub(r"^\s*listen\s+\[::\]:.*$", "", text, flags=re.M)
    copy = tmp_path / "maillage.conf"
    copy.write_text(text, encoding="utf-8")
    return copy


def temp_paths(tmp_path: Path) -> str:
    """nginx's work files, which it creates when it checks the configuration."""
    return "".join(
        f"    {kind}_temp_path {tmp_path / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )


def minimal_nginx_conf(tmp_path: Path, site: Path) -> str:
    mime = Path("/etc/nginx/mime.types")
    return (
        f"pid {tmp_path / 'nginx.pid'};\n"
        f"error_log {tmp_path / 'error.log'};\n"
        "events {}\n"
        "http {\n"
        + (f"    include {mime};\n" if mime.exists() else "")
        + f"    access_log {tmp_path / 'access.log'};\n"
        + temp_paths(tmp_path)
        + f"    include {site};\n"
        "}\n"
    )


def debian_nginx_conf(tmp_path: Path, site: Path) -> str:
    """Debian's own /etc/nginx/nginx.conf (which sets ssl_protocols, gzip… in http), with
    the site in place of sites-enabled and its files in tmp_path."""
    main = Path("/etc/nginx/nginx.conf")
    if not main.exists():
        pytest.skip("no /etc/nginx/nginx.conf (nginx not from Debian's package)")
    text = main.read_text(encoding="utf-8")
    text = re.sub(r"^\s*user\s+[^;]*;", "", text, flags=re.M)
    text = re.sub(
        r"^(\s*)pid\s+[^;]*;", lambda m: f"{m[1]}pid {tmp_path}/nginx.pid;", text, flags=re.M
    )
    text = re.sub(
        r"^(\s*)(access_log|error_log)\s+[^;]*;",
        lambda m: f"{m[1]}{m[2]} {tmp_path}/{m[2]}.log;",
        text,
        flags=re.M,
    )
    # Other sites and dynamic modules (loaded from the default prefix) play no part here.
    text = re.sub(r"include\s+/etc/nginx/(conf\.d|modules-enabled)/\*\.conf;", "", text)
    text, included = re.subn(
        r"include\s+/etc/nginx/sites-enabled/\*;", lambda m: f"include {site};", text
    )
    assert included == 1, "Debian's nginx.conf no longer includes sites-enabled/*"
    text, opened = re.subn(r"\bhttp\s*\{", lambda m: "http {\n" + temp_paths(tmp_path), text)
    assert opened == 1
    return text


@pytest.mark.parametrize("wrapper", [minimal_nginx_conf, debian_nginx_conf])
def test_nginx_accepts_the_site(tmp_path, wrapper):
    nginx = required_tool("nginx")
    site = site_for_test(tmp_path)
    conf = tmp_path / "nginx.conf"
    conf.write_text(wrapper(tmp_path, site), encoding="utf-8")
    result = run(nginx, "-t", "-p", f"{tmp_path}/", "-c", conf, "-e", tmp_path / "startup.log")
    output = result.stderr + result.stdout
    assert result.returncode == 0, output
    assert "test is successful" in output, output
    assert not re.search(r"\[(warn|error|crit|alert|emerg)\]", output), output


def test_nginx_lets_the_biggest_legitimate_upload_through():
    limit = directive(servers()["443"], "client_max_body_size")[0]
    number, unit = re.fullmatch(r"(\d+)([kKmMgG]?)", limit).groups()  # type: ignore[union-attr]
    limit_bytes = int(number) * {"": 1, "k": 1024, "m": MIB, "g": 1024 * MIB}[unit.lower()]
    default_mb = re.search(r'envint\("MAILLAGE_MAX_UPLOAD_MB",\s*(\d+)', SETTINGS_SOURCE)
    assert default_mb, "MAILLAGE_MAX_UPLOAD_MB is no longer read with envint"
    upload_mb = int(env_example().get("MAILLAGE_MAX_UPLOAD_MB", default_mb[1]))
    fields = re.search(r"^DATA_UPLOAD_MAX_MEMORY_SIZE = ([\d* ]+)$", SETTINGS_SOURCE, re.M)
    assert fields, "DATA_UPLOAD_MAX_MEMORY_SIZE is no longer a product of numbers"
    fields_bytes = 1
    for factor in fields[1].split("*"):
        fields_bytes *= int(factor)
    # The directory import sends two files (structures, services) of up to the limit each,
    # with the form around them; JSON bodies (API, FHIR) are smaller than the form part.
    assert limit_bytes >= 2 * upload_mb * MIB + fields_bytes


def test_nginx_adds_no_header_django_already_sends():
    for setting in DJANGO_HEADERS.values():
        assert setting in SETTINGS_SOURCE, f"Django no longer sets {setting!r}: see nginx"
    added = {d.args[0].lower() for d in walk(nginx_site()) if d.name == "add_header"}
    assert not added & set(DJANGO_HEADERS), added


def test_nginx_tells_django_what_it_needs_to_know():
    https = servers()["443"]
    headers = {
        d.args[0].lower(): d.args[1] for d in https.block or [] if d.name == "proxy_set_header"
    }
    assert headers["x-forwarded-proto"] == "$scheme"  # settings.SECURE_PROXY_SSL_HEADER
    assert headers["host"] == "$host"
    assert headers["x-forwarded-host"] == "$host"
    assert headers["x-forwarded-for"] in {"$remote_addr", "$proxy_add_x_forwarded_for"}
    assert "HTTP_X_FORWARDED_PROTO" in SETTINGS_SOURCE
    # A location with its own proxy_set_header would lose the server's.
    locations = [d for d in walk(https.block or []) if d.name == "location"]
    for location in locations:
        assert not [d for d in walk(location.block or []) if d.name == "proxy_set_header"]
    assert {" ".join(d.args) for d in locations} == {"= /sante/", "/"}
    (health,) = (d for d in locations if d.args == ["=", "/sante/"])
    assert ["off"] in [d.args for d in health.block or [] if d.name == "access_log"]
    for name in ("proxy_connect_timeout", "proxy_send_timeout", "proxy_read_timeout"):
        directive(https, name)
    assert directive(https, "gzip") == ["on"]
    assert "text/css" in directive(https, "gzip_types")


def test_nginx_serves_only_https_with_modern_tls():
    plain, https = servers()["80"], servers()["443"]
    assert all("ssl" in d.args for d in https.block or [] if d.name == "listen")
    assert directive(https, "ssl_protocols") == ["TLSv1.2", "TLSv1.3"]
    live = f"/etc/letsencrypt/live/{server_name()}"
    assert directive(https, "ssl_certificate") == [f"{live}/fullchain.pem"]
    assert directive(https, "ssl_certificate_key") == [f"{live}/privkey.pem"]
    (redirect,) = (d for d in walk(plain.block or []) if d.name == "return")
    assert redirect.args[0] == "301"
    assert redirect.args[1].startswith("https://")
    assert not [d for d in walk(plain.block or []) if d.name == "proxy_pass"]


def test_nginx_answers_to_the_host_maillage_allows():
    env = env_example()
    assert env["MAILLAGE_ALLOWED_HOSTS"].split(",") == [server_name()]
    assert env["MAILLAGE_CSRF_TRUSTED_ORIGINS"] == f"https://{server_name()}"


def test_nginx_access_log_leaves_out_query_strings():
    formats = {d.args[0]: "".join(d.args[1:]) for d in nginx_site() if d.name == "log_format"}
    for log in (d for d in walk(nginx_site()) if d.name == "access_log" and d.args != ["off"]):
        assert len(log.args) == 2, "an access log without the site's format"
        line = formats[log.args[1]]
        for leak in ("$request ", '$request"', "$request_uri", "$args", "$query_string"):
            assert leak not in line, leak
        assert "$http_referer" not in line


# --- logrotate ---------------------------------------------------------------------------


def logrotate_patterns() -> list[str]:
    text = LOGROTATE.read_text(encoding="utf-8")
    return re.findall(r"^(/\S+)\s*\{", text, flags=re.M)


def log_files_of_the_site() -> list[str]:
    return [
        d.args[0]
        for d in walk(nginx_site())
        if d.name in {"access_log", "error_log"} and d.args[0] != "off"
    ]


def test_logrotate_rotates_the_site_logs_and_nothing_debian_already_does():
    patterns = logrotate_patterns()
    assert patterns
    for path in log_files_of_the_site():
        assert any(PurePosixPath(path).match(p) for p in patterns), path
        # Debian's /etc/logrotate.d/nginx rotates /var/log/nginx/*.log: not twice.
        assert not PurePosixPath(path).match("/var/log/nginx/*.log"), path
    # The application writes no log file: it logs to standard error (journald).
    assert "FileHandler" not in SETTINGS_SOURCE
    assert '"class": "logging.StreamHandler"' in SETTINGS_SOURCE


def logrotate_or_skip() -> str:
    logrotate = required_tool("logrotate")
    try:
        pwd.getpwnam("www-data")  # the owner of nginx's logs on Debian (`create` names it)
    except KeyError:
        if in_ci():
            pytest.fail("no www-data account: CI runs on Debian")
        pytest.skip("no www-data account (the owner of nginx's logs on Debian)")
    return logrotate


def test_logrotate_accepts_the_file(tmp_path):
    logrotate = logrotate_or_skip()
    copy = tmp_path / "maillage"
    shutil.copyfile(LOGROTATE, copy)
    copy.chmod(0o644)  # logrotate warns about files others may write
    result = run(logrotate, "-d", "-s", tmp_path / "state", copy)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert not re.search(r"^error:", output, flags=re.M), output
    for pattern in logrotate_patterns():
        assert f"rotating pattern: {pattern}" in output, output


def test_logrotate_would_rotate_a_site_log(tmp_path):
    logrotate = logrotate_or_skip()
    logs = tmp_path / "logs"
    logs.mkdir(mode=0o750)
    (logs / "access.log").write_text('127.0.0.1 [-] "GET / HTTP/2.0" 200\n', encoding="utf-8")
    text = LOGROTATE.read_text(encoding="utf-8")
    assert "/var/log/nginx/maillage/" in text
    copy = tmp_path / "maillage"
    copy.write_text(text.replace("/var/log/nginx/maillage/", f"{logs}/"), encoding="utf-8")
    copy.chmod(0o644)
    # -d: only says what it would do; -f: as if a day had passed.
    result = run(logrotate, "-d", "-f", "-s", tmp_path / "state", copy)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert not re.search(r"^error:", output, flags=re.M), output
    assert f"rotating log {logs}/access.log" in output, output
    assert "running postrotate script" in output, output


# --- The environment file ----------------------------------------------------------------

ENV_LINE = re.compile(r"^(?P<comment>#)?(?P<name>[A-Z][A-Z0-9_]*)=(?P<value>.*)$")


def env_lines() -> list[tuple[bool, str, str]]:
    """(commented out, name, value) of every NAME=value line, set or commented out."""
    found = []
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = ENV_LINE.match(line.strip())
        if match:
            value = match["value"].strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            found.append((bool(match["comment"]), match["name"], value))
    return found


def env_example() -> dict[str, str]:
    """What the example sets (its commented-out lines aside)."""
    lines = [(name, value) for commented, name, value in env_lines() if not commented]
    names = [name for name, _ in lines]
    assert len(names) == len(set(names)), "a setting is set twice"
    return dict(lines)


def settings_variables() -> dict[str, str]:
    """MAILLAGE_* names settings.py reads, with how: bool, int, str or list."""
    found = re.findall(r'env(bool|int|str|list)\(\s*"(MAILLAGE_[A-Z0-9_]+)"', SETTINGS_SOURCE)
    return {name: kind for kind, name in found}


def test_every_setting_of_the_example_exists():
    known = settings_variables()
    assert "MAILLAGE_REQUIRE_MFA" in known
    assert 'os.environ.get("DATABASE_URL"' in SETTINGS_SOURCE
    for _commented, name, _value in env_lines():
        if name == "DATABASE_URL":
            continue
        assert name.startswith("MAILLAGE_"), name
        if name not in known and name.endswith("_FILE"):
            # NAME_FILE is read by envstr (and envlist) for NAME.
            assert known.get(name.removesuffix("_FILE")) in {"str", "list"}, name
        else:
            assert name in known, f"{name} is not read by settings.py"


def test_every_value_of_the_example_has_the_type_settings_reads():
    # Booleans as the README writes them (settings.py also takes 1/0, yes/no, on/off).
    known = settings_variables()
    for _commented, name, value in env_lines():
        if known.get(name) == "bool":
            assert value in {"true", "false"}, (name, value)
        elif known.get(name) == "int":
            assert value.isdigit() and int(value) >= 1, (name, value)


def test_the_example_is_a_production_configuration():
    env = env_example()
    assert env["MAILLAGE_DEBUG"] == "false"
    assert env["MAILLAGE_HTTPS"] == "true"
    assert env["MAILLAGE_REQUIRE_MFA"] == "true"
    assert env["MAILLAGE_DATA_DIR"] == "/var/lib/maillage"
    assert env["MAILLAGE_SECRET_KEY_FILE"].startswith("/etc/maillage/")
    assert "MAILLAGE_SECRET_KEY" not in env
    url = urlsplit(env["DATABASE_URL"])
    assert url.scheme in {"postgres", "postgresql"}
    assert url.password is None
    assert url.path == "/maillage"
    assert env["MAILLAGE_EMAIL_BACKEND"] == "smtp"
    assert env["MAILLAGE_SMS_BACKEND"] != "console"  # console writes texts into the logs


def looks_like_a_secret(text: str) -> bool:
    if "-----BEGIN" in text or re.search(r"\bmlg_\w{8,}", text):  # a key, an API token
        return True
    if re.search(r"://[^/\s:@]+:[^/\s@]+@", text):  # a password in an address
        return True
    for word in re.findall(r"[A-Za-z0-9+/=_-]{24,}", text):
        if all(re.search(chars, word) for chars in ("[a-z]", "[A-Z]", "[0-9]")):
            return True  # long, with lower case, upper case and digits: random
    return False


def test_the_secret_detector_finds_secrets():
    assert looks_like_a_secret("MAILLAGE_SECRET_KEY=Aa1" + secrets.token_urlsafe(32))
    assert looks_like_a_secret("DATABASE_URL=postgres://maillage:" + "x" * 8 + "@db/maillage")
    assert not looks_like_a_secret("MAILLAGE_SECRET_KEY_FILE=/etc/maillage/secret_key")


def test_the_example_holds_no_secret():
    for number, line in enumerate(ENV_EXAMPLE.read_text(encoding="utf-8").splitlines(), 1):
        assert not looks_like_a_secret(line), f"line {number} looks like a secret"
    for _commented, name, _value in env_lines():
        # Secrets are given by the path of a file (NAME_FILE), never by value.
        assert not re.search(r"(SECRET_KEY|BACKUP_KEY|PASSWORD|TOKEN)$", name), name


# --- The guide ---------------------------------------------------------------------------


def test_the_guide_uses_every_deploy_file_and_is_linked():
    guide = GUIDE.read_text(encoding="utf-8")
    for path in sorted(p for p in DEPLOY.rglob("*") if p.is_file()):
        assert str(path.relative_to(ROOT)) in guide, path
    assert "docs/deploiement.md" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert "deploiement.md" in (ROOT / "docs" / "admin-guide.md").read_text(encoding="utf-8")
