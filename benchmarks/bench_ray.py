#!/usr/bin/env python3
"""The same job on a Ray cluster simulated on this machine (ray.cluster_utils.Cluster,
``--nodes`` nodes of one CPU each) beside the local executor: wall time, the output
compared byte for byte, the volume shipped to and from the workers, and — from the
measured per-document costs — what 100M documents on 32 nodes would take.

    python benchmarks/bench_ray.py [--docs 5000] [--nodes 3] [--target-docs 100000000]
                                   [--target-nodes 32] [--cores-per-node 16]

The per-document steps (extract, clean, label, sign) run on the workers; reading, the
template counts, dedup (LSH and verification) and writing run in the driver. The
estimate adds the two: the workers' share divided over the target's cores, the driver's
share as it is (sequential), and the shuffle over a 10 Gbit/s network.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from generate import generate  # noqa: E402

from newsclean import Config, Pipeline, read_inputs  # noqa: E402
from newsclean.executors import LocalExecutor, RayExecutor  # noqa: E402
from newsclean.pipeline import batch_gc  # noqa: E402

WORKER_STAGES = ("extract", "clean", "segment", "signature")


class Counting(RayExecutor):
    """A RayExecutor that also counts the pickled bytes of what it ships each way."""

    sent = received = 0

    def imap(self, fn, items, *shared, costly=None):
        def counted(it):
            self.sent += len(pickle.dumps(it, protocol=5))
            return it
        for out in super().imap(fn, map(counted, items), *shared, costly=costly):
            self.received += len(pickle.dumps(out, protocol=5))
            yield out


def run(path: Path, executor) -> tuple[float, str, dict]:
    cfg = Config()
    p = Pipeline(cfg, jobs=getattr(executor, "jobs", 1) if isinstance(executor, LocalExecutor) else 1,
                 executor=executor)
    h = hashlib.sha256()
    t = time.perf_counter()
    with batch_gc():
        for kind, rec in p.run(read_inputs([str(path)], cfg)):
            rec = dict(rec)
            h.update(kind.encode() + json.dumps(rec, sort_keys=True).encode())
    return time.perf_counter() - t, h.hexdigest(), p.report()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=5000)
    ap.add_argument("--nodes", type=int, default=3)
    ap.add_argument("--target-docs", type=float, default=1e8)
    ap.add_argument("--target-nodes", type=int, default=32)
    ap.add_argument("--cores-per-node", type=int, default=16)
    a = ap.parse_args()
    import ray
    from ray.cluster_utils import Cluster

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "corpus.jsonl"
        with open(path, "w") as fh:
            for rec in generate(a.docs):
                fh.write(json.dumps(rec) + "\n")
        mb = path.stat().st_size / 1e6
        local_s, local_h, local_rep = run(path, LocalExecutor(1))
        print(f"{a.docs:,} generated docs ({mb:.0f} MB)")
        print(f"local -j 1:            {local_s:7.1f} s  {a.docs / local_s:7.0f} docs/s")
        cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
        for _ in range(a.nodes - 1):
            cluster.add_node(num_cpus=1)
        ray.init(address=cluster.address, include_dashboard=False, log_to_driver=False, configure_logging=False)
        try:
            ex = Counting(address=cluster.address)
            ray_s, ray_h, ray_rep = run(path, ex)
        finally:
            ray.shutdown()
            cluster.shutdown()
        print(f"ray, {a.nodes} nodes × 1 CPU: {ray_s:7.1f} s  {a.docs / ray_s:7.0f} docs/s  "
              f"(this machine has 2 cores: the nodes share them)")
        print(f"same output: {ray_h == local_h}")
        print(f"shipped: {ex.sent / 1e6:.1f} MB to the workers, {ex.received / 1e6:.1f} MB back "
              f"({(ex.sent + ex.received) / a.docs / 1e3:.1f} KB a document)")
        sec = local_rep["seconds"]
        worker = sum(sec.get(s, 0.0) for s in WORKER_STAGES) / a.docs
        driver = max(0.0, local_s / a.docs - worker)
        shuffle = (ex.sent + ex.received) / a.docs
        cores = a.target_nodes * a.cores_per_node
        t_workers = a.target_docs * worker / cores
        t_driver = a.target_docs * driver
        t_net = a.target_docs * shuffle * 8 / 10e9
        print(f"\nper document: workers {worker * 1e3:.2f} ms (extract, clean, label, sign), driver "
              f"{driver * 1e3:.2f} ms (read, template counts, dedup, write), shuffle {shuffle / 1e3:.1f} KB")
        print(f"{a.target_docs:,.0f} documents on {a.target_nodes} nodes × {a.cores_per_node} cores: workers "
              f"{t_workers / 3600:,.1f} h, driver {t_driver / 3600:,.1f} h (sequential), network "
              f"{t_net / 3600:,.1f} h at 10 Gbit/s → about {max(t_workers, t_driver, t_net) / 3600:,.1f} h if they "
              f"overlap, {(t_workers + t_driver + t_net) / 3600:,.1f} h if not")


if __name__ == "__main__":
    main()
