#!/usr/bin/env python3
"""Writes python/drehr_train/data/: the knowledge-graph sources the project may redistribute, filtered and gzipped
(a few MB in total). Run from the repository root: /usr/bin/python3 python/tools/make_shipped_sources.py [--shared ../shared/data]

Shipped (licences in NOTICE): Disease Ontology (CC0 / CC BY), ICD-10-CM 2019 (public domain), MeSH 2021 (NLM terms,
modified: filtered), the Vanderbilt, Stetson and Columbia abbreviation inventories (CC BY 4.0).
Not shipped: HPO (a modified copy may not carry its name; read from ../shared when present), the Wikipedia list
(CC BY-SA), the Berman pathology list, MTSamples.
"""
import argparse
import gzip
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(os.path.dirname(HERE), "drehr_train", "data")
KEEP_OBO = re.compile(r"^(id|name|synonym|is_a|is_obsolete|xref: (MESH|ICD10CM)):?")


def gz(path):
    return gzip.GzipFile(path, "wb", mtime=0, compresslevel=9)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(HERE, "..", "..", "..", "shared", "data"))
    a = ap.parse_args()
    onto, abbr = os.path.join(a.shared, "ontology"), os.path.join(a.shared, "abbreviations")
    if not os.path.isdir(onto):
        print(f"no ontology folder at {onto}", file=sys.stderr)
        return 1
    os.makedirs(OUT, exist_ok=True)
    # Disease Ontology: [Term] stanzas with the tags the graph reads
    with open(os.path.join(onto, "doid_2016-09-01.obo"), encoding="utf-8") as f, gz(os.path.join(OUT, "doid_2016-09-01.obo.gz")) as o:
        header = True
        for line in f:
            if line.startswith("["):
                header = False
            if header:
                if line.startswith(("format-version", "data-version", "remark", "ontology")):
                    o.write(line.encode())
                continue
            if line.startswith("[") or not line.strip() or KEEP_OBO.match(line):
                o.write(line.encode())
    # ICD-10-CM: categories and 4-character codes (what the graph loads)
    with open(os.path.join(onto, "icd10cm2019_codes.tsv"), encoding="utf-8") as f, gz(os.path.join(OUT, "icd10cm2019_codes.tsv.gz")) as o:
        for i, line in enumerate(f):
            code = line.split("\t", 1)[0]
            if i == 0 or (len(code) <= 4 and code[:1] not in "VWXY"):
                o.write(line.encode())
    # MeSH: descriptors in C (diseases), D (drugs), E (procedures), F03 (mental disorders)
    keep = set()
    with open(os.path.join(onto, "mesh2021_tree_numbers.tsv"), encoding="utf-8") as f:
        rows = f.read().splitlines()
    for r in rows[1:]:
        d, _, tn = r.partition("\t")
        if tn[:1] in "CDE" or tn.startswith("F03"):
            keep.add(d)
    with gz(os.path.join(OUT, "mesh2021_tree_numbers.tsv.gz")) as o:
        o.write((rows[0] + "\n").encode())
        for r in rows[1:]:
            if r.partition("\t")[0] in keep:
                o.write((r + "\n").encode())
    with open(os.path.join(onto, "mesh2021_descriptor_terms.tsv"), encoding="utf-8") as f, gz(os.path.join(OUT, "mesh2021_descriptor_terms.tsv.gz")) as o:
        for i, line in enumerate(f):
            parts = line.rstrip("\n").split("\t")
            if i == 0 or (len(parts) >= 3 and parts[0] in keep and ("," not in parts[2] or parts[2] == parts[1])):
                o.write(line.encode())
    for name in ("vanderbilt_clinic_notes.txt", "vanderbilt_discharge_sums.txt", "stetson_sense_distribution_448.txt",
                 "columbia_obgyn.txt"):
        with open(os.path.join(abbr, name), "rb") as f, gz(os.path.join(OUT, name + ".gz")) as o:
            o.write(f.read())
    total = sum(os.path.getsize(os.path.join(OUT, x)) for x in os.listdir(OUT))
    print(f"wrote {OUT}: {total / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
