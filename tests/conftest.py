import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SHARED = ROOT.parent / "shared"


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@pytest.fixture
def shared():
    if not (SHARED / "eval").is_dir():
        pytest.skip("../shared (evaluation sets) is not beside this checkout")
    return SHARED
