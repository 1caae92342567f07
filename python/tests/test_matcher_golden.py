"""The shipped graph (models/demo/graph.jsonl.gz) is the one the shipped sources build, and the matcher golden
file that the TypeScript port must reproduce (test/fixtures/matcher-golden.jsonl) is current."""
import json
import os
import subprocess
import sys

from drehr_train.graph import DATA_DIR, build_graph, load_graph

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHIPPED = os.path.join(ROOT, "models", "demo", "graph.jsonl.gz")
GOLDEN = os.path.join(ROOT, "test", "fixtures", "matcher-golden.jsonl")


def test_shipped_graph_is_built_from_the_shipped_sources_only():
    shipped = load_graph(SHIPPED)
    assert not shipped.warnings
    built = build_graph([DATA_DIR])
    assert shipped.stats() == built.stats()
    assert {c.split(":")[0] for c in shipped.concepts} == {"DOID", "MESH", "ICD10CM", "ABBR"}  # no HPO from ../shared


def test_matcher_golden_is_current(tmp_path):
    out = tmp_path / "golden.jsonl"
    subprocess.run([sys.executable, os.path.join(ROOT, "python", "tools", "make_matcher_golden.py"), "--out", str(out)],
                   check=True, capture_output=True)
    with open(GOLDEN, encoding="utf-8") as f:
        committed = [json.loads(x) for x in f if x.strip()]
    with open(out, encoding="utf-8") as f:
        fresh = [json.loads(x) for x in f if x.strip()]
    assert fresh == committed
