"""Persistent dedup index: signatures and LSH buckets of every story kept so far, so the
next run deduplicates new documents against them without recomputing the old.

``open_index("corpus.sqlite", cfg)`` — an embedded SQLite file (the default);
``open_index("redis://host:6379/0", cfg)`` — datasketch's Redis storage for a team
sharing one index. Both carry a versioned header of the MinHash parameters and refuse
to mix sketches made with other ones; a file that is not a newsclean index is refused
and never modified.

``add_all`` is called once a run's outputs are committed (the CLI does so after the
output set is in place), so an index never holds a story that nobody published. A story
stored again under its key replaces the earlier version (an updated page).
"""
from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from urllib.parse import urlsplit

import numpy as np
import orjson

from .config import DedupConfig
from .dedup import Entry

FORMAT = "newsclean-index"
# 3: each story's paragraph keys, for the paragraph test (2: Chinese and Japanese shingled
# by character; 1: by run of characters)
VERSION = 3


def header(cfg: DedupConfig) -> dict:
    return {"format": FORMAT, "version": VERSION, "num_perm": cfg.num_perm, "bands": cfg.bands,
            "rows": cfg.rows, "scheme": cfg.scheme, "seed": cfg.seed, "shingle": cfg.shingle,
            "para_min_chars": cfg.para_min_chars, "para_probes": cfg.para_probes}





def _check(found: dict, cfg: DedupConfig, where: str) -> None:
    want = header(cfg)
    if found.get("format") != FORMAT:
        raise ValueError(f"{where} is not a newsclean index")
    if found != want:
        diff = {k: (found.get(k), v) for k, v in want.items() if found.get(k) != v}
        raise ValueError(f"{where} was built with other MinHash parameters {diff} (index, this run)")


def _signed(u: int) -> int:
    """SQLite integers are signed 64-bit."""
    return u - (1 << 64) if u >= 1 << 63 else u


def _dtype(cfg: DedupConfig):
    return np.uint32 if cfg.scheme == "affine32" else np.uint64


_SQLITE_MAGIC = b"SQLite format 3\x00"


class SQLiteIndex:
    def __init__(self, path: str, cfg: DedupConfig):
        self.cfg = cfg
        self.path = path
        fresh = _refuse_foreign(path)
        self.db = sqlite3.connect(path)
        try:
            if not fresh:
                tables = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
                if not {"meta", "entries", "buckets"} <= tables:
                    raise ValueError(f"{path} is a SQLite database but not a newsclean index "
                                     f"(tables: {', '.join(sorted(tables)) or 'none'}); it was not changed")
                row = self.db.execute("SELECT value FROM meta WHERE key='header'").fetchone()
                try:
                    found = orjson.loads(row[0]) if row else {}
                except orjson.JSONDecodeError:
                    found = {}
                _check(found if isinstance(found, dict) else {}, cfg, path)
        except sqlite3.DatabaseError as exc:
            self.db.close()
            raise ValueError(f"{path} is a corrupt SQLite file ({exc}); it was not changed") from None
        except ValueError:
            self.db.close()
            raise
        self.db.execute("PRAGMA journal_mode=WAL")
        if fresh:
            with self.db:
                self.db.executescript("""
                    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
                    CREATE TABLE entries (key TEXT PRIMARY KEY, sig BLOB, size INT, length INT, date TEXT, exact INT,
                                          paras BLOB, para_chars BLOB);
                    CREATE TABLE buckets (band INTEGER, key TEXT);
                    CREATE TABLE paragraphs (para INTEGER, key TEXT);
                    CREATE INDEX buckets_band ON buckets (band);
                    CREATE INDEX paragraphs_para ON paragraphs (para);
                    CREATE INDEX entries_exact ON entries (exact);
                """)
                self.db.execute("INSERT INTO meta VALUES ('header', ?)", (orjson.dumps(header(cfg)).decode(),))

    def candidates(self, sig: np.ndarray, band_keys: list[int], exact: int) -> list[str]:
        qs = ",".join("?" * len(band_keys))
        rows = self.db.execute(
            f"SELECT key FROM buckets WHERE band IN ({qs}) UNION SELECT key FROM entries WHERE exact = ?",
            [_signed(k) for k in band_keys] + [_signed(exact)])
        return sorted(r[0] for r in rows)

    def sharing(self, paras) -> list[str]:
        """Stories holding any of these paragraphs, but for paragraphs so common (more than
        para_max_docs stories) they are boilerplate."""
        if not paras:
            return []
        ps = ",".join("?" * len(set(paras)))
        rows = self.db.execute(
            f"SELECT DISTINCT key FROM paragraphs WHERE para IN (SELECT para FROM paragraphs WHERE para IN ({ps})"
            f" GROUP BY para HAVING COUNT(*) <= ?)", [_signed(k) for k in sorted(set(paras))] + [self.cfg.para_max_docs])
        return sorted(r[0] for r in rows)

    def get(self, key: str) -> Entry | None:
        row = self.db.execute("SELECT sig, size, length, date, exact, paras, para_chars FROM entries WHERE key = ?",
                              (key,)).fetchone()
        if row is None:
            return None
        sig = np.frombuffer(row[0], dtype=_dtype(self.cfg)).copy()
        return Entry(key, -1, sig, row[1], row[2], row[3], row[4] % (1 << 64), old=True, paras=row[5], para_chars=row[6])

    def add_all(self, entries: Iterable[Entry], band_keys) -> int:
        """Store entries in one transaction; return how many were new or changed."""
        n = 0
        with self.db:
            for e in entries:
                row = self.db.execute("SELECT exact FROM entries WHERE key = ?", (e.key,)).fetchone()
                if row is not None:
                    if row[0] % (1 << 64) == e.exact:
                        continue  # the same story seen again (a re-run): one entry
                    self.db.execute("DELETE FROM entries WHERE key = ?", (e.key,))  # an updated page
                    self.db.execute("DELETE FROM buckets WHERE key = ?", (e.key,))
                    self.db.execute("DELETE FROM paragraphs WHERE key = ?", (e.key,))
                self.db.execute("INSERT INTO entries VALUES (?,?,?,?,?,?,?,?)",
                                (e.key, e.sig.tobytes(), e.size, e.length, e.date, _signed(e.exact), e.paras, e.para_chars))
                self.db.executemany("INSERT INTO buckets VALUES (?,?)",
                                    [(_signed(k), e.key) for k in band_keys(e.sig)])
                self.db.executemany("INSERT INTO paragraphs VALUES (?,?)",
                                    [(_signed(k), e.key) for k in e.probes(self.cfg.para_probes)])
                n += 1
        return n

    def __len__(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM entries").fetchone()[0]

    def close(self) -> None:
        self.db.close()


def _refuse_foreign(path: str) -> bool:
    """True for a new (absent or empty) file; ValueError for a file that is no SQLite
    database at all, before anything is opened or written."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(_SQLITE_MAGIC))
    except FileNotFoundError:
        return True
    except IsADirectoryError:
        raise ValueError(f"{path} is a folder, not an index file") from None
    if not head:
        return True
    if head != _SQLITE_MAGIC:
        raise ValueError(f"{path} is not a newsclean index (not a SQLite file); it was not changed")
    return False


class RedisIndex:
    """datasketch's MinHashLSH on Redis storage, plus a hash of entries and the header."""

    def __init__(self, url: str, cfg: DedupConfig, basename: str = "newsclean"):
        import redis
        from datasketch import MinHashLSH

        self.cfg = cfg
        u = urlsplit(url)
        params = {"host": u.hostname or "localhost", "port": u.port or 6379,
                  "db": int(u.path.strip("/") or 0)}
        self.r = redis.Redis(**params)
        self.r.ping()  # fail now, with a clear error, if no server answers
        self.prefix = basename
        found = self.r.get(f"{basename}:header")
        if found is None:
            self.r.set(f"{basename}:header", orjson.dumps(header(cfg)))
        else:
            _check(orjson.loads(found), cfg, url)
        self.lsh = MinHashLSH(num_perm=cfg.num_perm, params=(cfg.bands, cfg.rows),
                              storage_config={"type": "redis", "basename": basename.encode(), "redis": params})

    def _lean(self, sig: np.ndarray):
        from datasketch import LeanMinHash

        return LeanMinHash(seed=self.cfg.seed, hashvalues=sig, scheme=self.cfg.scheme)

    def candidates(self, sig: np.ndarray, band_keys: list[int], exact: int) -> list[str]:
        keys = {k.decode() if isinstance(k, bytes) else k for k in self.lsh.query(self._lean(sig))}
        same = self.r.hget(f"{self.prefix}:exact", str(exact))
        if same is not None:
            keys.add(same.decode())
        return sorted(keys)

    def sharing(self, paras) -> list[str]:
        """Stories holding any of these paragraphs (as SQLiteIndex.sharing)."""
        if not paras:
            return []
        keys: set[str] = set()
        pipe = self.r.pipeline(transaction=False)
        for k in sorted(set(paras)):
            pipe.smembers(f"{self.prefix}:para:{k}")
        for holders in pipe.execute():
            if len(holders) <= self.cfg.para_max_docs:  # more: boilerplate, not evidence
                keys.update(h.decode() for h in holders)
        return sorted(keys)

    def get(self, key: str) -> Entry | None:
        raw = self.r.hget(f"{self.prefix}:entries", key)
        if raw is None:
            return None
        d = orjson.loads(raw)
        sig = np.frombuffer(bytes.fromhex(d["sig"]), dtype=_dtype(self.cfg)).copy()
        return Entry(key, -1, sig, d["size"], d["length"], d["date"], d["exact"], old=True,
                     paras=bytes.fromhex(d["paras"]), para_chars=bytes.fromhex(d["para_chars"]))

    def add_all(self, entries: Iterable[Entry], band_keys=None) -> int:
        """LSH buckets first, then the entries in one MULTI/EXEC: an entry is what makes a
        story known (a bucket naming a key without an entry is passed over), so a run
        killed half-way leaves no story half-published."""
        todo, stale = [], []
        for e in entries:
            have = self.get(e.key)
            if have is not None and have.exact == e.exact:
                continue  # the same story seen again (a re-run): one entry
            todo.append(e)
            if have is not None:
                stale.append(have)
        with self.lsh.insertion_session() as session:
            for e in todo:
                if e.key in self.lsh:  # an updated page, or buckets left by a killed run
                    self.lsh.remove(e.key)
                session.insert(e.key, self._lean(e.sig), check_duplication=False)
        pipe = self.r.pipeline(transaction=True)
        for old in stale:  # an updated page: its old paragraphs no longer name it
            for k in old.probes(self.cfg.para_probes):
                pipe.srem(f"{self.prefix}:para:{k}", old.key)
        for e in todo:
            pipe.hset(f"{self.prefix}:entries", e.key, orjson.dumps(
                {"sig": e.sig.tobytes().hex(), "size": e.size, "length": e.length, "date": e.date, "exact": e.exact,
                 "paras": e.paras.hex(), "para_chars": e.para_chars.hex()}))
            pipe.hsetnx(f"{self.prefix}:exact", str(e.exact), e.key)
            for k in e.probes(self.cfg.para_probes):
                pipe.sadd(f"{self.prefix}:para:{k}", e.key)
        pipe.execute()
        return len(todo)

    def __len__(self) -> int:
        return self.r.hlen(f"{self.prefix}:entries")

    def close(self) -> None:
        self.r.close()


def open_index(where: str, cfg: DedupConfig):
    """An index at a SQLite path or a redis:// URL. ValueError on mismatched parameters,
    ConnectionError when no Redis server answers."""
    if where.startswith(("redis://", "rediss://")):
        import redis

        try:
            return RedisIndex(where, cfg)
        except redis.exceptions.ConnectionError as exc:
            raise ConnectionError(f"no Redis server at {where}: {exc}") from None
    return SQLiteIndex(where, cfg)
