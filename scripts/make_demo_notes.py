#!/usr/bin/env python3
"""Builds the shipped demo workspace (demo/notes) from ACI-Bench (CC BY 4.0, ../shared/data/notes/aci_bench).

Run from the repository root: `python3 scripts/make_demo_notes.py [--shared ../shared]`. The output is committed;
this script documents exactly how it was made and makes it again byte for byte.

Layout written:
  demo/notes/<patient_id>/<note_id>.md   one visit note each, YAML front matter (patient_id, note_id, note_type, date)
  demo/notes/exports/aci_notes.csv       the remaining notes as a MIMIC-IV-style export (subject_id, hadm_id,
                                         note_id, note_type, charttime, text): one note a row
ACI-Bench has one visit per simulated patient, so each patient folder holds one note. Patient ids (p001…) and dates
are synthetic and deterministic: the source has neither.
"""
import argparse
import csv
import datetime
import os
import sys

csv.field_size_limit(1 << 30)

SOURCES = ["train.csv", "valid.csv", "clinicalnlp_taskB_test1.csv", "clinicalnlp_taskC_test2.csv", "clef_taskC_test3.csv"]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "demo", "notes"))
    a = ap.parse_args()
    src = os.path.join(a.shared, "data", "notes", "aci_bench")
    if not os.path.isdir(src):
        print(f"ACI-Bench not found at {src}", file=sys.stderr)
        return 1
    rows = []
    seen = set()
    for name in SOURCES:
        with open(os.path.join(src, name), newline="", encoding="utf-8") as f:
            for r in csv.DictReader(f):
                key = (r["dataset"], r["encounter_id"])
                if key in seen:
                    continue
                seen.add(key)
                rows.append((name, r))
    base = datetime.date(2031, 1, 5)
    md_count = 0
    csv_rows = []
    for i, (name, r) in enumerate(rows):
        enc = r["encounter_id"].strip()
        ds = r["dataset"].strip()
        note_id = f"{ds}-{enc}".lower()
        patient = f"p{i + 1:03d}"
        date = (base + datetime.timedelta(days=(i * 37) % 900)).isoformat()
        text = r["note"].replace("\r\n", "\n").strip() + "\n"
        if name in ("train.csv", "valid.csv", "clinicalnlp_taskB_test1.csv"):
            d = os.path.join(a.out, patient)
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, note_id + ".md"), "w", encoding="utf-8", newline="\n") as f:
                f.write(f"---\npatient_id: {patient}\nnote_id: {note_id}\nnote_type: visit note\ndate: {date}\nsource: ACI-Bench {name} {enc}\n---\n")
                f.write(text)
            md_count += 1
        else:
            csv_rows.append({"subject_id": patient, "hadm_id": 900000 + i, "note_id": note_id, "note_type": "visit note",
                             "charttime": date + " 10:00:00", "text": text})
    os.makedirs(os.path.join(a.out, "exports"), exist_ok=True)
    with open(os.path.join(a.out, "exports", "aci_notes.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["subject_id", "hadm_id", "note_id", "note_type", "charttime", "text"], lineterminator="\n")
        w.writeheader()
        w.writerows(csv_rows)
    print(f"wrote {md_count} .md notes and {len(csv_rows)} CSV rows under {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
