import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PY_ROOT = os.path.dirname(HERE)
REPO = os.path.dirname(PY_ROOT)
sys.path.insert(0, PY_ROOT)
SHARED = os.path.join(os.path.dirname(REPO), "shared", "data")
FIXTURE_MODEL = os.path.join(REPO, "test", "fixtures", "untrained-model")
DEMO_NOTES = os.path.join(REPO, "demo", "notes")

try:
    import torch
    torch.set_num_threads(1)
except ImportError:  # the stdlib-only modules still test
    torch = None


@pytest.fixture
def fixture_model():
    if not os.path.isdir(FIXTURE_MODEL):
        pytest.skip(f"{FIXTURE_MODEL} is missing: run scripts/make_fixture_model.py --out test/fixtures/untrained-model")
    return FIXTURE_MODEL
