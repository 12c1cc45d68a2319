"""A real PostgreSQL server for the tests (and the benches).

`$ATENDE_TEST_PG` (a libpq URL of a role that may create databases) is used
when set. Otherwise a throwaway cluster is started from the installed server
binaries in a temporary folder, listening only on a Unix socket in that
folder, and stopped at the end. initdb refuses to run as root: as root it
runs as the `postgres` user. Without any server the PostgreSQL tests skip
with one line saying how to get them, unless `$ATENDE_REQUIRE_PG` is set (CI),
where they fail instead.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

HOW_TO_GET = ("PostgreSQL tests skipped: install the server (apt-get install postgresql postgresql-contrib) "
              "or set ATENDE_TEST_PG=postgresql://user@host/db")


def server_binaries() -> Path | None:
    """The folder of the newest installed server's initdb/pg_ctl, or None."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb and shutil.which("pg_ctl") else None


@dataclass
class Cluster:
    """A server to make databases on: `url(name)` is the URL of database `name`."""

    base: str  # a URL without the database name's path, e.g. postgresql://postgres@/?host=/tmp/x
    folder: Path | None = None  # ours to stop and remove; None when $ATENDE_TEST_PG
    as_user: str | None = None

    def url(self, dbname: str) -> str:
        scheme, _, rest = self.base.partition("://")
        netloc, _, query = rest.partition("/")
        query = query.split("?", 1)[1] if "?" in query else ""
        return f"{scheme}://{netloc}/{dbname}" + (f"?{query}" if query else "")

    def admin(self):
        """A connection (autocommit) to the server's maintenance database."""
        import psycopg

        return psycopg.connect(self.url(self.maintenance_db()), autocommit=True)

    def maintenance_db(self) -> str:
        if self.folder is None:
            from urllib.parse import urlsplit

            return urlsplit(self.base).path.lstrip("/") or "postgres"
        return "postgres"

    def create_database(self, name: str, template: str | None = None) -> str:
        with self.admin() as conn:
            strategy = " STRATEGY WAL_LOG" if template and conn.info.server_version >= 150000 else ""
            conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"{strategy}' if template else ""))
        return self.url(name)

    def drop_database(self, name: str) -> None:
        with self.admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if self.folder is None:
            return
        bins = server_binaries()
        run([str(bins / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "stop"], self.as_user,
            check=False)
        shutil.rmtree(self.folder, ignore_errors=True)


def run(cmd: list[str], as_user: str | None, check: bool = True) -> subprocess.CompletedProcess:
    if as_user:
        cmd = ["runuser", "-u", as_user, "--", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, check=check, timeout=120)


def start_cluster(durable: bool = False) -> Cluster:
    """$ATENDE_TEST_PG's server, or a new throwaway cluster (RuntimeError with
    HOW_TO_GET when neither is possible). Tests run it without fsync; a bench
    asks for a `durable` one (fsync and synchronous commits, as a real server)."""
    given = os.environ.get("ATENDE_TEST_PG")
    if given:
        return Cluster(base=given)
    bins = server_binaries()
    if bins is None:
        raise RuntimeError(HOW_TO_GET)
    as_user = "postgres" if os.geteuid() == 0 else None
    folder = Path(tempfile.mkdtemp(prefix="atende-pg-"))
    folder.chmod(0o777)  # the server (another user when we are root) keeps its data and socket here
    data = folder / "data"
    try:
        run([str(bins / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
             "--locale=C.UTF-8", *([] if durable else ["--no-sync"])], as_user)
        speed = "" if durable else "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
        options = f"-k {folder} -c listen_addresses='' {speed}-c max_connections=200 -c shared_buffers=128MB"
        run([str(bins / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "server.log"), "-w",
             "start"], as_user)
    except (subprocess.CalledProcessError, OSError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"could not start a PostgreSQL server: {detail.strip()[:300]}") from None
    return Cluster(base=f"postgresql://postgres@/postgres?host={folder}", folder=folder, as_user=as_user)


def unique_name(prefix: str = "atende_test") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"
