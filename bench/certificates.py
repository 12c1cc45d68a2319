"""Certificate throughput: the real path against a naive one, same run.

    python bench/certificates.py --count 500

The real path is `issue_certificate` (validation, the verification row, the
PDF with the font parsed once per process, the file). The naive one renders
the same layout with a fresh FPDF and `add_font` for every certificate.
Last line: JSON with certs_per_s, naive_per_s. Target: certs_per_s >= 2 x naive_per_s.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

NAMES = ["Júlia Ñandú da Conceição", "Юрий Алексеевич Гагарин", "João Pereira dos Santos",
         "Maria Antônia Øster", "Ana Clara Müller"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--naive-count", type=int, default=0, help="default: count / 5 (it is slow)")
    args = parser.parse_args()
    n = args.count
    naive_n = args.naive_count or max(20, n // 5)

    import models
    from services.events import certificates as certs
    from services.store.database import open_store

    folder = Path(tempfile.mkdtemp(prefix="atende-bench-certs-"))
    open_store(str(folder / "bench.db"))

    def data(i: int) -> certs.CertificateData:
        return certs.CertificateData(
            participant_name=f"{NAMES[i % len(NAMES)]} {i}", cpf="529.982.247-25",
            event_title="Treinamento Módulo Fiscal — Turma Março", workload_hours=8,
            start=dt.date(2026, 3, 2), end=dt.date(2026, 3, 3), key=f"bench:{i}", signer="Elisa Martins")

    renderer = certs.renderer()
    out = folder / "naive"
    out.mkdir()
    issued = dt.datetime.now()
    # Interleaved in rounds, so both paths share whatever else the machine is doing.
    rounds = 10
    real_s = naive_s = real_cpu = naive_cpu = 0.0
    done = naive_done = 0
    for r in range(rounds):
        w, c = time.perf_counter(), time.process_time()
        for i in range(done, n * (r + 1) // rounds):
            certs.issue_certificate(data(i))
        real_s += time.perf_counter() - w
        real_cpu += time.process_time() - c
        done = n * (r + 1) // rounds
        w, c = time.perf_counter(), time.process_time()
        for i in range(naive_done, naive_n * (r + 1) // rounds):
            pdf = renderer.render(certs.validate(data(i)), "ABCD-EFGH-JKLM", issued, naive=True)
            (out / f"{i}.pdf").write_bytes(pdf)
        naive_s += time.perf_counter() - w
        naive_cpu += time.process_time() - c
        naive_done = naive_n * (r + 1) // rounds
    size = sum(p.stat().st_size for p in certs.certificates_dir().glob("*.pdf")) / n / 1024
    print(f"issue_certificate: {n} in {real_s:.2f} s ({n / real_s:.1f}/s; CPU {n / real_cpu:.1f}/s), "
          f"{size:.0f} KiB each")
    print(f"naive (fresh FPDF + add_font each): {naive_n} in {naive_s:.2f} s "
          f"({naive_n / naive_s:.1f}/s; CPU {naive_n / naive_cpu:.1f}/s)")
    models.close_database()
    result = {"count": n, "certs_per_s": round(n / real_s, 1), "naive_per_s": round(naive_n / naive_s, 1),
              "speedup": round((n / real_s) / (naive_n / naive_s), 2),
              "cpu_speedup": round((n / real_cpu) / (naive_n / naive_cpu), 2)}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
