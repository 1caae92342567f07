/**
 * A MIMIC-IV-shaped `discharge.csv` (note_id, subject_id, hadm_id, note_type, note_seq, charttime, storetime, text),
 * generated from a seed: multi-paragraph discharge summaries with de-identification blanks (___), quoted speech
 * (doubled quotes in the CSV) and newlines inside the quoted text field, as in the real export. Synthetic text only:
 * no real patient. Used by bench/streamBench.ts (gigabytes, in /tmp) and the streamed-export tests (a megabyte).
 */
import * as fs from 'node:fs';
import { prng } from '../src/review/order';

export const MIMIC_HEADER = 'note_id,subject_id,hadm_id,note_type,note_seq,charttime,storetime,text';

/** The project's seeded mulberry32 (src/review/order.ts): the same seed gives the same file. */
export const rng = prng;

const SERVICES = ['MEDICINE', 'SURGERY', 'CARDIOTHORACIC', 'NEUROLOGY', 'ORTHOPAEDICS', 'OBSTETRICS/GYNECOLOGY'];
const COMPLAINTS = ['Chest pain', 'Shortness of breath', 'Abdominal pain', 'Fever', 'Altered mental status', 'Syncope', 'Fall', 'Hematemesis', 'Cough', 'Leg swelling'];
const PMH = ['HTN', 'HLD', 'DM2 on insulin', 'CAD s/p PCI', 'CHF (EF 35%)', 'COPD on 2L home O2', 'CKD stage III', 'atrial fibrillation on apixaban', 'hypothyroidism', 'GERD', 'OSA on CPAP', 'depression', 'prior CVA'];
const MEDS = ['Aspirin 81 mg PO DAILY', 'Atorvastatin 40 mg PO QPM', 'Metoprolol Succinate XL 50 mg PO DAILY', 'Furosemide 40 mg PO DAILY', 'Lisinopril 10 mg PO DAILY', 'Insulin glargine 20 units SC QHS', 'Apixaban 5 mg PO BID', 'Levothyroxine 75 mcg PO DAILY', 'Omeprazole 20 mg PO DAILY', 'Acetaminophen 650 mg PO Q6H:PRN pain'];
const SENTENCES = [
  'Patient presented to the ED with worsening symptoms over the past ___ days.',
  'In the ED, initial vitals were T 98.6 HR 92 BP 142/88 RR 18 SpO2 95% RA.',
  'Labs were notable for a troponin of 0.03 and a BNP of 1,240.',
  'CXR showed mild pulmonary vascular congestion without focal consolidation.',
  'She was given aspirin 325 mg, nitroglycerin SL x2 and furosemide 40 mg IV with improvement.',
  'He denies fevers, chills, nausea, vomiting, diarrhea or dysuria.',
  'On the floor, the patient was diuresed with IV furosemide with net negative 2L over 48 hours.',
  'Cardiology was consulted and recommended continuing medical management.',
  'Blood cultures remained no growth to date at the time of discharge.',
  'Physical therapy evaluated the patient and recommended discharge home with services.',
  'Her home metoprolol was held for hypotension and restarted at a lower dose.',
  'A CT abdomen/pelvis with contrast demonstrated no acute intra-abdominal process.',
  'Creatinine peaked at 1.8 from a baseline of 1.2 and improved with IV fluids.',
  'Glucose was managed with an insulin sliding scale; A1c was 8.1%.',
  'EKG showed sinus rhythm at 88 with no acute ST changes.',
];
const QUOTES = ['"I just could not catch my breath"', '"it felt like an elephant on my chest"', '"I have not been myself"', '"the pain is a 7 out of 10"'];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)];
}

function paragraph(r: () => number, n: number): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(r() < 0.08 ? `Patient states ${pick(r, QUOTES)}.` : pick(r, SENTENCES));
  return out.join(' ');
}

/** One discharge summary: sections separated by blank lines, about `scale` × 4 KB (MIMIC-IV's mean is near 10 KB). */
export function dischargeText(r: () => number, scale = 2.5): string {
  const s = (n: number): number => Math.max(1, Math.round(n * scale * (0.5 + r())));
  const pmh = Array.from({ length: s(3) }, () => pick(r, PMH));
  const meds = Array.from({ length: s(3) }, (_, i) => `${i + 1}. ${pick(r, MEDS)}`);
  return [
    ' \nName:  ___                     Unit No:   ___\n \nAdmission Date:  ___              Discharge Date:   ___\n \nDate of Birth:  ___             Sex:   ' + (r() < 0.5 ? 'F' : 'M'),
    `Service: ${pick(r, SERVICES)}`,
    'Allergies: \nPatient recorded as having No Known Allergies to Drugs',
    `Chief Complaint:\n${pick(r, COMPLAINTS)}`,
    `History of Present Illness:\n${paragraph(r, s(5))}`,
    `Past Medical History:\n${pmh.map((p) => `- ${p}`).join('\n')}`,
    `Brief Hospital Course:\n${Array.from({ length: s(2) }, () => paragraph(r, s(4))).join('\n\n')}`,
    `Discharge Medications:\n${meds.join('\n')}`,
    `Discharge Diagnosis:\n${pick(r, COMPLAINTS)}`,
    `Discharge Instructions:\nDear ___,\nYou were admitted to the hospital because of ${pick(r, COMPLAINTS).toLowerCase()}. ${paragraph(r, s(2))}\nWe wish you the best!\nYour ___ Care Team`,
    'Followup Instructions:\n___\n',
  ].join('\n \n');
}

function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** The CSV text of rows `[from, from + n)` of the seeded export (row i is the same whatever else is generated). */
export function mimicRows(seed: number, from: number, n: number, scale?: number): string {
  const out: string[] = [];
  for (let i = from; i < from + n; i++) {
    const r = rng(seed * 1_000_003 + i);
    const subject = 10_000_000 + Math.floor(i / 3) * 7;
    const seq = 10 + (i % 3) * 3;
    const day = String(1 + (i % 28)).padStart(2, '0');
    out.push(
      [`${subject}-DS-${seq}`, String(subject), String(20_000_000 + i), 'DS', String(seq), `2180-05-${day} 00:00:00`, `2180-05-${day} 15:25:00`, csvField(dischargeText(r, scale))].join(',') + '\n',
    );
  }
  return out.join('');
}

/** Writes the export to `file` until it holds at least `bytes` bytes; returns the rows and bytes written. */
export async function writeMimicCsv(file: string, bytes: number, seed = 1, scale?: number): Promise<{ rows: number; bytes: number }> {
  const out = fs.createWriteStream(file);
  let written = 0;
  let rows = 0;
  const write = (s: string): Promise<void> | void => {
    written += Buffer.byteLength(s);
    if (!out.write(s)) return new Promise((resolve) => out.once('drain', resolve));
  };
  await write(MIMIC_HEADER + '\n');
  while (written < bytes) {
    const n = 200;
    await write(mimicRows(seed, rows, n, scale));
    rows += n;
  }
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  return { rows, bytes: written };
}
