"""Stage 3, clean: label every block of a page as body, or removed with a reason."""
from __future__ import annotations

from .config import Config
from .records import TEMPLATE, Page


def clean(page: Page, config: Config) -> None:
    for i in sorted(page.template):
        page.remove(i, TEMPLATE)
