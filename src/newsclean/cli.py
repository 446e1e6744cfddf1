"""Command line: ``newsclean clean`` and ``newsclean explain``.

Exit codes: 0 done (bad inputs are in rejects.jsonl and counted in the summary);
1 a bad input under --strict, the machine failing the run (a full disk, no worker
processes), or an internal error; 2 usage error — bad option, an input path that does
not exist (the other inputs are still cleaned), unwritable output folder, an unusable
index, another run writing to the same folder.
"""
from __future__ import annotations

import errno
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import click

from . import __version__
from .config import APPENDED_MODES, Config, DedupConfig
from .errors import RunError, StrictError, UsageError
from .pipeline import Pipeline, batch_gc
from .read import STDIN, read_inputs
from .records import ERROR, Reject
from .write import Output

EPILOG = """\b
Examples:
  newsclean clean seeds                      # folder of .txt pages → output/
  newsclean clean dump.jsonl.gz -o out/ -j 4
  newsclean clean crawl.warc.gz -o out/ --compress zst
  newsclean clean rows.parquet --keep-fields lang,crawl_date --format parquet
  newsclean clean pages.jsonl --html-field html --index corpus.sqlite
  newsclean clean big/ --shard-size 100000   # clean-00000.jsonl.zst, … + manifest.json
  cat dump.jsonl | newsclean clean - -o - > clean.jsonl

\b
Input formats (by extension, else by content; each also .gz .zst .bz2 .xz):
  .txt  scraped text     .html .htm  raw HTML (trafilatura)
  .jsonl .ndjson  records (--text-field, --id-field, --url-field, --html-field)
  .warc .wet      WARC responses (HTML) and WET conversions (FastWARC)
  .parquet        rows, by row group (same fields as JSONL)
  .csv .tsv       rows with a header (same fields as JSONL)
"""


def _input_options(f):
    for opt in reversed([
        click.option("--text-field", default="text", show_default=True, help="Record field (JSONL, Parquet, CSV) holding the page text."),
        click.option("--id-field", default="id", show_default=True, help="Record field (JSONL, Parquet, CSV) holding the document id."),
        click.option("--url-field", default="url", show_default=True, help="Record field (JSONL, Parquet, CSV) holding the URL (groups site templates)."),
        click.option("--html-field", default=None, help="Record field holding raw HTML; such records go through trafilatura."),
        click.option("--keep-fields", default="", metavar="A,B",
                     help="Input fields (JSONL, Parquet, CSV) to copy into each record's meta object; * for all "
                          "but the text and HTML."),
        click.option("--appended", type=click.Choice(APPENDED_MODES), default="split", show_default=True,
                     help="Stories run on after the page's own (found by a learned boundary model; "
                          "`newsclean explain` says where and why): write each as its own record, drop, or keep."),
        click.option("--no-templates", is_flag=True, help="Do not remove lines that recur across a site's pages."),
    ]):
        f = opt(f)
    return f


def _config(text_field, id_field, url_field, html_field, keep_fields, appended, no_templates, no_dedup=False) -> Config:
    keep = tuple(sorted({f.strip() for f in keep_fields.split(",") if f.strip()}))
    return Config(text_field=text_field, id_field=id_field, url_field=url_field, html_field=html_field,
                  keep_fields=("*",) if "*" in keep else keep, appended=appended, templates=not no_templates,
                  dedup=DedupConfig(enabled=not no_dedup))


class Progress:
    """A one-line counter on a terminal's stderr; silent when piped or quiet."""

    def __init__(self, enabled: bool):
        self.enabled = enabled and sys.stderr.isatty()
        self.n = 0
        self.t0 = self.last = time.monotonic()

    def wrap(self, items):
        for it in items:
            self.n += 1
            if self.enabled and time.monotonic() - self.last > 0.2:
                self.last = time.monotonic()
                rate = self.n / max(self.last - self.t0, 1e-9)
                click.echo(f"\rnewsclean: read {self.n:,} documents ({rate:,.0f}/s)", err=True, nl=False)
            yield it
        if self.enabled:
            click.echo("\r" + " " * 60 + "\r", err=True, nl=False)


def _check_outdir(outdir: str) -> None:
    if outdir == STDIN:
        return
    p = Path(outdir)
    if not p.is_dir() and p.name.lower().endswith((".jsonl", ".jsonl.gz", ".jsonl.zst", ".json", ".parquet", ".gz",
                                                      ".zst")):
        raise UsageError(f"-o takes a folder (clean.jsonl and the rest are written into it), not a file name like "
                         f"{outdir}: for compressed records use --compress gz|zst, for Parquet --format parquet")
    try:
        p.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=p):
            pass
    except OSError as exc:
        raise UsageError(f"cannot write to output folder {outdir}: {exc.strerror or exc}") from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="newsclean")
def main() -> None:
    """Turn scraped news — plain text, raw HTML, JSONL dumps — into clean, deduplicated
    JSONL: one record per story, with the spans kept, what was removed and why, and which
    record a duplicate duplicates."""


@main.command(epilog=EPILOG)
@click.argument("inputs", nargs=-1, required=True)
@click.option("-o", "--output", "outdir", default="output", show_default=True,
              help="Output folder (clean.jsonl, duplicates.jsonl, rejects.jsonl, report.json, report.html, "
                   "manifest.json; committed as one set), or - for clean records on stdout.")
@_input_options
@click.option("--no-dedup", is_flag=True, help="Skip corpus near-duplicate detection (with --no-templates too, records stream out as they come).")
@click.option("--index", "index_path", default=None,
              help="Persistent dedup index: a SQLite file path, or redis://host:port/db. New documents are deduplicated against everything seen before.")
@click.option("-j", "--jobs", type=click.IntRange(min=0), default=0, show_default=True,
              help="Worker processes; 0 = all cores (more than the cores is capped). Output is identical at any -j.")
@click.option("--compress", type=click.Choice(["gz", "zst"]), default=None,
              help="Compress the JSONL outputs: clean.jsonl.gz / clean.jsonl.zst, … (default: none; zst with --shard-size).")
@click.option("--format", "out_format", type=click.Choice(["jsonl", "parquet"]), default="jsonl", show_default=True,
              help="parquet: clean.parquet and duplicates.parquet (same columns; spans as lists) beside rejects.jsonl.")
@click.option("--shard-size", type=click.IntRange(min=1), default=None, metavar="N",
              help="Write clean records in shards of N: clean-00000.jsonl.zst, … (listed in manifest.json).")
@click.option("--executor", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="Who runs the per-page steps: local worker processes (-j), or Ray tasks (pip install "
                   "'newsclean[ray]'), on a Ray started for the run or the cluster at --ray-address. "
                   "The output is the same under either.")
@click.option("--ray-address", default=None, metavar="ADDR",
              help="A running Ray cluster's address (host:port, or 'auto'); implies --executor ray.")
@click.option("--strict", is_flag=True,
              help="Stop (exit 1, nothing written) at the first reject of any kind — a bad input, a page with no "
                   "body left, a page the cleaner failed on — instead of writing it to rejects.jsonl.")
@click.option("--resume", is_flag=True,
              help="Reuse the work an interrupted run into the same output folder finished (same input and "
                   "options); the output is the same as an uninterrupted run's. Without it a run starts afresh.")
@click.option("-q", "--quiet", is_flag=True, help="No progress and no summary on stderr.")
def clean(inputs, outdir, text_field, id_field, url_field, html_field, keep_fields, appended, no_templates,
          no_dedup, index_path, jobs, compress, out_format, shard_size, executor, ray_address, strict, resume, quiet):
    """Clean INPUTS (files, folders walked in sorted order, or - for JSONL on stdin).

    Formats by extension (or, where the name says none, by content): .txt scraped text,
    .html raw HTML, .jsonl records, .warc/.wet crawls, .parquet and .csv/.tsv rows; any of
    them compressed (.gz, .zst, .bz2, .xz). Each input document ends in clean.jsonl,
    duplicates.jsonl or rejects.jsonl, with a reason."""
    try:
        if out_format == "parquet" and (compress or shard_size):
            raise UsageError("--format parquet compresses by itself: no --compress or --shard-size with it")
        if outdir == STDIN and (compress or shard_size or out_format != "jsonl"):
            raise UsageError("-o - writes plain JSONL to stdout: no --compress, --format or --shard-size with it")
        writing = {"compress": compress, "fmt": out_format, "shard_size": shard_size}
        code = _run_clean(inputs, outdir, _config(text_field, id_field, url_field, html_field, keep_fields, appended,
                                                   no_templates, no_dedup), index_path, jobs, strict, resume, quiet,
                          executor="ray" if ray_address else executor, ray_address=ray_address, writing=writing)
    except (UsageError, StrictError, RunError) as exc:
        click.echo(f"newsclean: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    sys.exit(code)


def _open_index(index_path, config):
    if not index_path or not config.dedup.enabled:
        return None
    from .index import open_index

    try:
        return open_index(index_path, config.dedup)
    except (ValueError, OSError, ConnectionError) as exc:
        raise UsageError(f"cannot use index {index_path}: {exc}") from None


def _index_errors(records, index_path):
    """A persistent index found corrupt in mid-run is a clear error naming it (exit 2)."""
    import sqlite3

    try:
        yield from records
    except sqlite3.DatabaseError as exc:
        raise UsageError(f"cannot use index {index_path}: it is corrupt ({exc})") from None


def _run_clean(inputs, outdir, config, index_path, jobs, strict, resume, quiet, executor="local",
               ray_address=None, writing=None) -> int:
    with batch_gc():  # the CLI owns its process (and the workers it forks)
        return _clean_inputs(inputs, outdir, config, index_path, jobs, strict, resume, quiet, executor, ray_address,
                             writing or {})


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _jobs(jobs: int, quiet: bool) -> int:
    cores = _cores()
    if jobs == 0:
        return cores
    if jobs > cores:
        if not quiet:
            click.echo(f"newsclean: warning: -j {jobs} is more than this machine's {cores} cores; using {cores}",
                       err=True)
        return cores
    return jobs


def _machine_error(exc: OSError, outdir: str) -> RunError:
    where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
    if outdir == STDIN and exc.errno == errno.EPIPE:  # `… -o - | head`: the reader had enough
        return RunError("the reader of stdout closed it (a pipe into head, say): the run stopped there")
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return RunError(f"no space left on the device{where}: the run was abandoned, the previous output in "
                        f"{outdir} is untouched and no temporary file is left")
    return RunError(f"{exc.strerror or exc}{where}: the run was abandoned, the previous output in {outdir} is "
                    "untouched")


def _executor(name: str, jobs: int, ray_address: str | None):
    if name == "ray":
        from .executors import RayExecutor
        return RayExecutor(ray_address, num_cpus=None if ray_address else jobs)
    from .executors import LocalExecutor
    return LocalExecutor(jobs)


def _clean_inputs(inputs, outdir, config, index_path, jobs, strict, resume, quiet, executor="local",
                  ray_address=None, writing=None) -> int:
    _check_outdir(outdir)
    if inputs.count(STDIN) > 1:
        raise UsageError("- (stdin) may be given only once")
    if resume and (outdir == STDIN or STDIN in inputs):
        raise UsageError("--resume needs an output folder and input files (not - for stdin or stdout)")
    jobs = _jobs(jobs, quiet)
    runner = _executor(executor, jobs, ray_address)
    index = _open_index(index_path, config)
    try:
        out = Output(outdir, **(writing or {}))
    except BaseException:
        if index is not None:
            index.close()
        raise
    for line in out.recovered:
        if not quiet:
            click.echo(f"newsclean: {outdir}: {line}", err=True)
    pipeline = Pipeline(config, jobs=jobs, index=index, executor=runner)
    progress = Progress(not quiet)
    missing = []

    def docs():
        for item in progress.wrap(read_inputs(inputs, config)):
            if isinstance(item, Reject):
                if item.reason == "missing":
                    missing.append(item.path)
                if strict:
                    raise StrictError(item.message())
                if not quiet:
                    click.echo(f"newsclean: skipped {item.message()}", err=True)
            yield item

    t0 = time.perf_counter()
    keep_work = False
    try:
        for kind, record in _index_errors(pipeline.run(docs(), work_dir=out.work_dir, resume=resume), index_path):
            if kind == "clean":
                out.clean(record)
            elif kind == "duplicate":
                out.duplicate(record)
            else:
                where = record["path"] + (f":{record['line']}" if record["line"] is not None else "")
                if strict and record["reason"] in ("no-body", ERROR):
                    raise StrictError(f"{where}: {record['reason']} ({record['detail']})")
                if not quiet and record["reason"] == "no-body":
                    click.echo(f"newsclean: no body left in {record['path']} ({record['doc_id']})", err=True)
                elif not quiet and record["reason"] == ERROR:
                    click.echo(f"newsclean: error on {where} ({record['doc_id']}): {record['detail']} — "
                               "rejected, the run goes on; please report it", err=True)
                out.reject(record)
        report = pipeline.report()
        report["seconds"]["total"] = round(time.perf_counter() - t0, 3)
        report["inputs"] = list(inputs)
        out.report(report)
        if not out.stdout:
            from .report import render_html
            out.report_html(render_html(report, pipeline.examples))
        out.commit({"config_hash": report["config_hash"], "newsclean": report["newsclean"]})
        pipeline.commit_index()  # after the outputs: the index never names unpublished stories
        if out.work_dir is not None:
            shutil.rmtree(out.work_dir, ignore_errors=True)
    except KeyboardInterrupt:
        keep_work = True  # what was done waits for --resume
        raise
    except OSError as exc:
        raise _machine_error(exc, outdir) from None
    finally:
        if out.stage is not None or keep_work:
            out.abort(keep_work=keep_work)
        out.close()
        if index is not None:
            index.close()
    if not quiet:
        c = report["counts"]
        if report["ids"]["renamed"]:
            click.echo(f"newsclean: warning: {report['ids']['renamed']:,} documents repeated an earlier "
                       "document's id and were given unique ones (source.renamed_from keeps the old; "
                       "see report.json)", err=True)
        reused = report.get("resumed")
        if reused:
            click.echo(f"newsclean: resumed: reused {reused['extract']:,} extracted and {reused['clean']:,} "
                       f"cleaned units of {reused['units']:,}", err=True)
        where = "stdout" if outdir == STDIN else outdir
        click.echo(f"newsclean: {c['documents']:,} documents → {c['clean']:,} clean, {c['duplicates']:,} "
                   f"duplicates, {c['rejects']:,} rejects in {report['seconds']['total']:.1f}s → {where}", err=True)
    if missing:
        click.echo(f"newsclean: error: input not found: {', '.join(missing)} (the rest was cleaned)", err=True)
        return 2
    return 0


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@_input_options
@click.option("--id", "doc_id", default=None, help="For a JSONL file: the record to show (default: the first).")
@click.option("--color/--no-color", default=None, help="Colour the output (default: on a terminal).")
def explain(file, text_field, id_field, url_field, html_field, keep_fields, appended, no_templates, doc_id, color):
    """Show FILE's page with every removed span marked and its reason.

    Each line of the page is printed once: '+' kept (with its story number when a page
    holds more than one), '-' removed, followed by the reason, then the learned
    labeller's probability that the line is body (where it ran). The page is cleaned as
    `newsclean clean FILE` would clean it: site templates are counted over all of FILE's
    records (dedup aside)."""
    from .pipeline import explain_page

    config = _config(text_field, id_field, url_field, html_field, keep_fields, appended, no_templates, no_dedup=True)
    if not Path(file).exists():
        click.echo(f"newsclean: error: input not found: {file}", err=True)
        sys.exit(2)
    got = explain_page(read_inputs([file], config), doc_id, config)
    if got is None:
        click.echo(f"newsclean: error: no record with id {doc_id!r} in {file}", err=True)
        sys.exit(2)
    if isinstance(got, Reject):
        click.echo(f"newsclean: {got.message()}", err=True)
        sys.exit(1)
    page, cut = got
    titles = {s.index: (s.title, s.date) for s in cut.stories}
    click.echo(f"# {page.doc_id}  ({page.source.get('path')})", color=color)
    for k, (title, date) in sorted(titles.items()):
        why = f"  — cut off: {page.cuts[k]}" if k in page.cuts else ""
        click.echo(f"# story {k}: title={title!r} date={date!r}{why}", color=color)
    width = max([len(r) for r in page.labels if r] + [4])
    for i, b in enumerate(page.blocks):
        reason = page.labels[i]
        text = b.text
        # the labeller's P(body), where it ran: what the model made of the line
        prob = f"{page.probs[i]:.2f} " if page.probs is not None else ""
        if reason is None:
            tag = "+ " + (f"s{page.story[i]}" if len(titles) > 1 else "").ljust(width)
            click.echo(click.style(f"{tag} {prob}| {text}", fg="green"), color=color)
        else:
            click.echo(click.style(f"- {reason.ljust(width)} {prob}| {text}", fg="red", dim=True), color=color)


if __name__ == "__main__":
    main()
