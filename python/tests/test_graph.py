"""Graph loaders (OBO, MeSH, ICD-10-CM, abbreviation inventories, plain TSV/JSONL), broken lines, save/load."""
import gzip
import os

import pytest

from conftest import SHARED
from drehr_train.graph import DATA_DIR, build_graph, load_graph

OBO = """format-version: 1.2

[Term]
id: DOID:1
name: disease of anatomical entity

[Term]
id: DOID:10
name: hypertension
synonym: "HTN" EXACT []
synonym: "high blood pressure" EXACT []
synonym: "hyperpiesia" RELATED []
xref: MESH:D006973
is_a: DOID:1 ! disease of anatomical entity

[Term]
id: DOID:11
name: essential hypertension
this line is broken
is_a: DOID:10 ! hypertension

[Term]
id: DOID:12
name: obsolete thing
is_obsolete: true
"""


@pytest.fixture
def sources(tmp_path):
    d = tmp_path / "src"
    d.mkdir()
    (d / "doid_test.obo").write_text(OBO)
    (d / "mesh2021_descriptor_terms.tsv").write_text(
        "descriptor_ui\tdescriptor_name\tentry_term\nD006973\thypertension\thypertension\n"
        "D006973\thypertension\thigh blood pressure\nD000001\tbroken\n")
    (d / "mesh2021_tree_numbers.tsv").write_text("descriptor_ui\ttree_number\nD006973\tC14.907.489\n")
    (d / "icd10cm2019_codes.tsv").write_text("code\tparent\tbillable\tdescription\nI10\t\t1\tEssential (primary) hypertension\n")
    (d / "vanderbilt_clinic_notes.txt").write_text(
        "abbreviation\tsense\tvariation\tCUI\tfrequency\nhtn\thypertension\tHTN_5\tc1\t0.9\nhtn\thistamine\tx\tc2\t0.1\n")
    return str(d)


def test_build_from_sources(sources):
    warned = []
    g = build_graph(sources, warn=warned.append)
    c = g.concepts["DOID:10"]
    assert c.name == "hypertension" and c.type == "disease"
    assert "high blood pressure" in c.synonyms and "hyperpiesia" not in c.synonyms  # EXACT only
    assert ("htn", 0.9) in c.abbreviations
    assert "MESH:D006973" in c.related and "DOID:10" in g.concepts["MESH:D006973"].related
    assert "DOID:12" not in g.concepts
    assert g.children("DOID:10") == ["DOID:11"]
    assert g.descendants("DOID:1") == {"DOID:10", "DOID:11"}
    assert any("doid_test.obo:19" in w for w in warned)          # broken line reported with its number
    assert any("descriptor_terms.tsv:4" in w for w in warned)


def test_plain_tsv_and_jsonl_with_broken_lines(sources, tmp_path):
    tsv = tmp_path / "umls.tsv"
    tsv.write_text("C1\tmyocardial infarction\tname\nC1\theart attack\tsynonym\nC1\tMI\tabbreviation\t0.8\n"
                   "C1\tdisease\ttype\nbroken line\nC1\tC2\tis_a\nC2\tischemic heart disease\tname\nC1\tx\tweird\n")
    jl = tmp_path / "bios.jsonl"
    jl.write_text('{"concept":"C3","term":"angina","relation":"name"}\n{not json\n')
    g = build_graph(sources, extra=[str(tsv), str(jl)])
    c = g.concepts["C1"]
    assert c.synonyms == ["heart attack"] and c.abbreviations == [("MI", 0.8)] and c.parents == ["C2"]
    assert c.type == "disease" and g.concepts["C3"].name == "angina"
    assert any("umls.tsv:5" in w for w in g.warnings) and any("umls.tsv:8" in w for w in g.warnings)
    assert any("bios.jsonl:2" in w for w in g.warnings)


def test_save_load_roundtrip_and_broken_graph_file(sources, tmp_path):
    g = build_graph(sources)
    p = str(tmp_path / "g.jsonl.gz")
    g.save(p)
    h = load_graph(p)
    assert h.concepts == g.concepts
    raw = gzip.open(p, "rt").read().splitlines()
    raw.insert(1, '{"id": "broken"')
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(raw) + "\n")
    h2 = load_graph(str(bad))
    assert len(h2.concepts) == len(g.concepts) and any("bad.jsonl:2" in w for w in h2.warnings)


def test_shipped_sources_build():
    g = build_graph(DATA_DIR)
    s = g.stats()
    assert s["by_source"]["DOID"] > 6000 and s["by_source"]["MESH"] > 10000 and s["abbreviations"] > 1000
    assert "HP" not in s["by_source"]  # HPO is not shipped
    assert sum(os.path.getsize(os.path.join(DATA_DIR, f)) for f in os.listdir(DATA_DIR)) < 4_000_000


def test_hpo_from_shared_keeps_only_the_phenotype_branch():
    if not os.path.isdir(os.path.join(SHARED, "ontology")):
        pytest.skip("../shared/data/ontology is not present (HPO is read from there, never shipped)")
    g = build_graph([os.path.join(SHARED, "ontology")])
    assert "HP:0000822" in g.concepts and g.concepts["HP:0000822"].type == "phenotype"
    assert "HP:0012834" not in g.concepts  # "Right" is a modifier, not a phenotype
