"""newsclean as a preprocessing stage of a Hugging Face ``datasets`` pipeline::

    from datasets import load_dataset
    from newsclean.hf import clean_batch

    ds = load_dataset("json", data_files="pages.jsonl", split="train")
    ds = ds.map(clean_batch, batched=True, with_indices=True, remove_columns=ds.column_names)

Columns in (the page text, and optionally id, url, HTML — named as for JSONL input, through
``fn_kwargs={"config": Config(text_field=…)}``), columns out: one row per story, the
record's fields as columns (``spans`` and ``removed`` as lists; ``source``, ``meta`` and
``pipeline``, whose keys vary, as JSON strings — as in ``--format parquet``), and
``reject``: None, or why a row gave no story (the row is still there, its text None). Each
page is cleaned on its own: site templates and corpus dedup need the whole corpus — run
``newsclean clean`` on the dataset's files for those.
"""
from __future__ import annotations

import hashlib
from dataclasses import replace

import orjson

from .config import Config, DedupConfig
from .pipeline import Pipeline
from .read import record_document
from .write import parquet_row, parquet_schema

COLUMNS = tuple(parquet_schema().names) + ("reject",)


def clean_batch(batch: dict[str, list], indices: list[int] | None = None, config: Config | None = None) -> dict[str, list]:
    """A batch of rows (column → values) → a batch of story rows (column → values)."""
    config = replace(config or Config(), templates=False, dedup=DedupConfig(enabled=False))
    n = len(next(iter(batch.values()), []))
    rows = [{k: v[i] for k, v in batch.items()} for i in range(n)]
    docs = []
    for i, row in enumerate(rows):
        number = indices[i] + 1 if indices is not None else i + 1
        blob = orjson.dumps(row, default=str, option=orjson.OPT_SORT_KEYS)
        docs.append(record_document(row, "<datasets>", "row", number, config, hashlib.sha256(blob).hexdigest(), "datasets"))
    out: dict[str, list] = {c: [] for c in COLUMNS}
    for kind, record in Pipeline(config).run(docs):
        if kind == "reject":
            row = dict.fromkeys(COLUMNS)
            row.update(id=record.get("doc_id"), doc_id=record.get("doc_id"),
                       reject=f"{record['reason']}: {record['detail']}" if record.get("detail") else record["reason"])
        else:
            row = dict(parquet_row(record), reject=None)
        for c in COLUMNS:
            out[c].append(row.get(c))
    return out


__all__ = ["clean_batch", "COLUMNS"]
