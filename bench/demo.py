"""Demo data: `atende demo --customers N` from an empty database, timed end to end.

    python bench/demo.py [--customers 1000000]

Runs the real command in a child process on a fresh temporary database and
home, then checks the result answers a lookup on each searched field.
Target: 1,000,000 customers in under 60 s. Last line: one JSON object with
customers, seconds, rss_mb, target_s, ok.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 60.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=1_000_000)
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="atende-bench-demo-"))
    try:
        path = folder / "demo.db"
        env = {**os.environ, "HOME": str(folder), "XDG_CONFIG_HOME": str(folder / "config"),
               "XDG_DATA_HOME": str(folder / "data"), "XDG_STATE_HOME": str(folder / "state")}
        env.pop("ATENDE_DB", None)
        env.pop("ATENDE_CONFIG", None)
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", "import app; app.main()", "--db", str(path), "demo",
                               "--customers", str(args.customers)], cwd=ROOT, env=env,
                              capture_output=True, text=True)
        seconds = time.perf_counter() - started
        rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        if proc.returncode != 0:
            print(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "atende demo failed")
            sys.exit(1)
        con = sqlite3.connect(path)
        count = con.execute("SELECT count(*) FROM customer").fetchone()[0]
        # the search index answers right away: one lookup per indexed column
        sample = con.execute("SELECT id, name_norm, email, doc, phone_digits FROM customer "
                             "WHERE id = ?", (count // 2,)).fetchone()
        found = {}
        for table, needle in (("customer_fts_name", sample[1].split()[-1]), ("customer_fts_email", sample[2][1:9]),
                              ("customer_fts_doc", sample[3][2:9]), ("customer_fts_phone", sample[4][3:11])):
            rows = {r[0] for r in con.execute(f"SELECT rowid FROM {table} WHERE {table} MATCH ?",
                                              ('"' + needle.replace('"', '""') + '"',))}
            found[table] = sample[0] in rows
        con.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    ok = seconds < TARGET_S and count == args.customers and all(found.values())
    print(f"atende demo --customers {args.customers:,}: {seconds:.1f} s, peak RSS {rss_mb:.0f} MB "
          f"({count:,} customers; search index finds the sample on {sum(found.values())}/{len(found)} fields)")
    print(json.dumps({"customers": count, "seconds": round(seconds, 1), "rss_mb": round(rss_mb, 1),
                      "target_s": TARGET_S, "ok": ok}))


if __name__ == "__main__":
    main()
