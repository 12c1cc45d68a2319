"""A throwaway PostgreSQL server for the benches, durable like a real one.

    python bench/pgserver.py start   # prints the URL of database "bench" and the folder
    python bench/pgserver.py stop FOLDER

Uses tests/pg.py (the installed server's binaries, a Unix socket in a
temporary folder; as root it runs as the postgres user). Last line: JSON.
"""
from __future__ import annotations

import sys
from pathlib import Path

# bench/queue.py would shadow the standard library's `queue` (psycopg needs it)
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import json  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    from tests import pg

    if len(sys.argv) >= 2 and sys.argv[1] == "stop":
        pg.Cluster(base="", folder=Path(sys.argv[2]), as_user="postgres" if pg.os.geteuid() == 0 else None).stop()
        print(json.dumps({"stopped": sys.argv[2]}))
        return
    cluster = pg.start_cluster(durable=True)
    url = cluster.create_database("bench")
    print(f"PostgreSQL (fsync on) at {url}")
    print(json.dumps({"url": url, "folder": str(cluster.folder)}))


if __name__ == "__main__":
    main()
