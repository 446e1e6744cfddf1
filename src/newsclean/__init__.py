"""newsclean: scraped news (text, HTML, JSONL) → clean, deduplicated JSONL with provenance.

Public API::

    from newsclean import clean_text, Pipeline, Config
    stories = clean_text(page_text)                       # one page → its story records
    for kind, record in Pipeline(Config()).run(read_inputs(["corpus.jsonl"], Config())):
        ...                                               # kind: clean | duplicate | reject
"""
__version__ = "0.1.0"

from .config import Config, DedupConfig  # noqa: E402
from .errors import NewscleanError, StrictError, UsageError  # noqa: E402
from .pipeline import Pipeline, clean_text  # noqa: E402
from .read import read_inputs  # noqa: E402
from .records import REASONS  # noqa: E402

__all__ = ["Config", "DedupConfig", "Pipeline", "clean_text", "read_inputs", "REASONS",
           "NewscleanError", "UsageError", "StrictError", "__version__"]
