/**
 * Suspicion reasons from clinical language (suspicion version 2), pure: the mistakes an LLM (and the graph
 * generator) makes that are not about negation or a missing span:
 *
 * - `lab_value`: a lab analyte or measurement listed as a drug ("K 3.2", "glucose 145", "hemoglobin 10.1",
 *   "serum sodium", "potassium level"). Analytes that are hardly ever a drug (hemoglobin, creatinine, bilirubin,
 *   troponin, ...) count whatever the context; those that are also given as drugs (potassium, magnesium, calcium,
 *   glucose, iron, sodium, albumin, oxygen, ...) only when a mention reads as a result (a number with no dose unit
 *   right after it, or a lab word right before it) and none reads as a dose ("potassium 20 mEq PO").
 * - `generic_entity`: a hypernym so broad it says nothing about the chunk ("disease", "procedure", "organic
 *   chemical", "pharmaceutical preparations"): a fixed list of the top words of each type, and any graph concept
 *   whose subtree holds at least GENERIC_SHARE of the graph's concepts of its type.
 * - `chemical_class`: a drug named by its chemical structure, which no clinician lists for a note ("ethanolamines",
 *   "hexoses", "metals, alkali", "benzimidazoles"): a graph drug concept with children that is not a drug class
 *   used in clinical speech (CLINICAL_CLASSES: "biguanides", "benzodiazepines", "cephalosporins", ...) and does not
 *   read as a pharmacological class (agents, inhibitors, blockers, anti-...); or, outside the graph, a name built
 *   from chemical morphemes in the plural.
 * - `unsupported`: an implicit pair that nothing in the chunk leads to: no word of it is in the chunk and none of
 *   the chunk's graph mentions has it among its ancestors (3 levels) or related concepts (what an LLM invents).
 * - `stopped_or_allergic`: a drug whose every mention is in an allergy or stopped context ("allergic to
 *   penicillin", "ALLERGIES: sulfa", "metformin was discontinued", "held lisinopril", "intolerant of statins").
 *
 * Details name the rule, never note text.
 */
import type { EntityType, EvidenceSpan, SuspicionReason } from '../../shared/pairs';
import type { Graph } from '../graph/graph';
import type { EntityMatch } from '../graph/matcher';
import { termKey } from './evidence';

/** Analytes that are (almost) never a drug in a note: as a drug they are a lab result. */
export const LAB_ONLY: ReadonlySet<string> = new Set([
  'hemoglobin', 'hemoglobins', 'hgb', 'hb', 'hemoglobin a1c', 'hba1c', 'a1c', 'glycated hemoglobin', 'glycosylated hemoglobin',
  'hematocrit', 'hct', 'creatinine', 'cr', 'bun', 'blood urea nitrogen', 'urea nitrogen', 'urea', 'bilirubin', 'total bilirubin',
  'direct bilirubin', 'urobilinogen', 'transaminases', 'aminotransferases', 'alt', 'ast', 'sgot', 'sgpt', 'alanine transaminase',
  'aspartate aminotransferase', 'alanine aminotransferase', 'alkaline phosphatase', 'alk phos', 'ggt', 'gamma-glutamyltransferase',
  'troponin', 'troponin i', 'troponin t', 'troponins', 'ck', 'cpk', 'creatine kinase', 'ck-mb', 'bnp', 'nt-probnp', 'natriuretic peptide',
  'brain natriuretic peptide', 'lactate', 'lactic acid', 'lactate dehydrogenase', 'ldh', 'inr', 'pt', 'ptt', 'aptt', 'prothrombin time',
  'platelets', 'platelet count', 'wbc', 'white blood cells', 'white blood cell count', 'leukocytes', 'rbc', 'red blood cells', 'mcv',
  'cholesterol', 'ldl', 'hdl', 'ldl cholesterol', 'hdl cholesterol', 'triglycerides', 'lipids', 'tsh', 'thyrotropin', 'free t4',
  'psa', 'prostate-specific antigen', 'crp', 'c-reactive protein', 'esr', 'sed rate', 'ketones', 'ketone bodies', 'nitrite', 'nitrites',
  'leukocyte esterase', 'lipase', 'amylase', 'uric acid', 'ammonia', 'ferritin', 'transferrin', 'd-dimer', 'fibrinogen', 'anion gap',
  'blood glucose', 'blood sugar', 'glucose level', 'fasting glucose', 'serum glucose', 'osmolality', 'procalcitonin', 'bicarb', 'co2',
  'carbon dioxide', 'pco2', 'po2', 'ph', 'specific gravity', 'proteinuria', 'albumin/creatinine ratio', 'microalbumin', 'hemoglobin a',
]);

/** Analytes also given as drugs: a lab value only when a mention reads as a result. */
export const LAB_OR_DRUG: ReadonlySet<string> = new Set([
  'potassium', 'k', 'sodium', 'na', 'chloride', 'cl', 'bicarbonate', 'hco3', 'calcium', 'ca', 'magnesium', 'mg', 'phosphorus', 'phosphate',
  'phos', 'glucose', 'iron', 'albumin', 'oxygen', 'o2', 'vitamin d', 'vitamin b12', 'b12', 'folate', 'folic acid', 'zinc', 'protein',
]);

/** Words around an analyte that make it a lab result. */
const LAB_BEFORE = /\b(?:labs?|laboratory|bmp|cmp|chem(?:istry|\s?7|\s?10)?|serum|plasma|blood|urine|urinary|level|levels|low|high|elevated|decreased|increased|normal|abnormal|repeat|trough|checked?)\W*$/i;
const LAB_WORDS_IN_ENTITY = /\b(?:level|levels|measurement|measurements|concentration|count|test|testing|assay|panel|screen|serum|plasma|blood|urine|urinary|value|values|lab|labs)\b/i;
/** A number right after the mention, with a concentration unit or none, and no dose unit or route. */
const RESULT_AFTER = /^\s*(?:(?:level|levels|was|is|of|at|=|:|-)\s*){0,3}[<>]?\s*\d+(?:\.\d+)?(?!\s*(?:mg|mcg|g|grams?|units?|mEq|meq|mmol|tabs?|tablets?|caps?|ml|cc|l)\b(?!\s*\/))/i;
const DOSE_AFTER = /^\s*(?:chloride|citrate|sulfate|oxide|gluconate|carbonate|phosphate|supplement(?:s|ation)?|replacement|replet\w*|tabs?|tablets?|\d+(?:\.\d+)?\s*(?:mg|mcg|g|grams?|units?|mEq|meq|mmol|tabs?|tablets?|caps?|ml|cc)\b(?!\s*\/))/i;
const DOSE_BEFORE = /\b(?:start(?:ed)?|give|gave|given|continue[ds]?|on|takes?|taking|prescribed|replete[ds]?|supplement(?:ed)?|iv|po|oral)\W*$/i;

/** The analyte an entity names, lower case: "serum potassium level" → "potassium". */
export function analyteOf(entity: string): string {
  return termKey(entity)
    .replace(/\b(?:serum|plasma|blood|urine|urinary|whole)\s+/g, '')
    .replace(/\s+(?:level|levels|measurement|measurements|concentration|value|values|test|assay|count)$/g, '')
    .trim();
}

function labValue(entity: string, text: string | undefined, spans: readonly EvidenceSpan[]): SuspicionReason | undefined {
  const key = termKey(entity);
  const a = analyteOf(entity);
  if (LAB_ONLY.has(key) || LAB_ONLY.has(a)) return { code: 'lab_value', detail: 'a laboratory analyte, not a drug' };
  if (LAB_OR_DRUG.has(a) && LAB_WORDS_IN_ENTITY.test(entity)) return { code: 'lab_value', detail: 'named as a measurement (level, serum, test), not a drug' };
  if (!LAB_OR_DRUG.has(a) || text === undefined || spans.length === 0) return undefined;
  let result = 0;
  let dose = 0;
  for (const s of spans) {
    const before = text.slice(Math.max(0, s.start - 24), s.start);
    const after = text.slice(s.end, s.end + 24);
    if (DOSE_AFTER.test(after) || DOSE_BEFORE.test(before)) dose++;
    else if (RESULT_AFTER.test(after) || LAB_BEFORE.test(before)) result++;
  }
  if (result > 0 && dose === 0) return { code: 'lab_value', detail: `read as a lab result (${result} of ${spans.length} mention${spans.length === 1 ? '' : 's'} followed by a value or after a lab word), not a drug` };
  return undefined;
}

/** The top words of each type: an entity that is one of them says nothing about the chunk. */
export const GENERIC_TERMS: ReadonlySet<string> = new Set([
  'disease', 'diseases', 'disorder', 'disorders', 'illness', 'condition', 'conditions', 'medical condition', 'syndrome', 'finding',
  'findings', 'clinical finding', 'symptom', 'symptoms', 'signs and symptoms', 'problem', 'diagnosis', 'pathologic processes',
  'pathological process', 'disease of anatomical entity', 'physical disorder', 'abnormality',
  'procedure', 'procedures', 'medical procedure', 'medical procedures', 'surgical procedure', 'surgical procedures', 'surgery',
  'operation', 'operative procedures', 'intervention', 'treatment', 'therapy', 'therapeutics', 'therapeutic procedure',
  'diagnostic procedure', 'diagnostic procedures', 'health care', 'patient care',
  'drug', 'drugs', 'medication', 'medications', 'medicine', 'medicines', 'pharmaceutical preparations', 'pharmaceutical preparation',
  'chemical', 'chemicals', 'chemical substance', 'organic chemical', 'inorganic chemical', 'organic compound', 'organic compounds',
  'inorganic compound', 'chemical compound', 'compound', 'compounds', 'substance', 'substances', 'agent', 'agents', 'molecule',
  'chemical entity', 'molecular entity', 'organic molecular entity', 'pharmacologic actions', 'specialty uses of chemicals',
]);

/** A concept whose subtree holds at least this share of the graph's concepts of its type is generic. */
export const GENERIC_SHARE = 0.1;

/** Pharmacological or clinical class names a clinician uses, although the graph files them under chemistry. */
export const CLINICAL_CLASSES: ReadonlySet<string> = new Set([
  'biguanides', 'sulfonylureas', 'sulfonylurea compounds', 'thiazolidinediones', 'dihydropyridines', 'benzodiazepines', 'benzodiazepinones',
  'barbiturates', 'phenothiazines', 'butyrophenones', 'thioxanthenes', 'dibenzazepines', 'thiazides', 'benzothiadiazines', 'cephalosporins',
  'penicillins', 'carbapenems', 'monobactams', 'fluoroquinolones', 'quinolones', 'macrolides', 'aminoglycosides', 'tetracyclines',
  'glycopeptides', 'lincosamides', 'sulfonamides', 'nitroimidazoles', 'nitrofurans', 'triazoles', 'imidazoles', 'azoles', 'salicylates',
  'diphosphonates', 'bisphosphonates', 'nitrates', 'nitroglycerin', 'cardiac glycosides', 'digitalis glycosides', 'catecholamines',
  'glucocorticoids', 'corticosteroids', 'adrenal cortex hormones', 'steroids', 'estrogens', 'progestins', 'androgens', 'opiates',
  'opioids', 'morphinans', 'anthracyclines', 'taxoids', 'vinca alkaloids', 'platinum compounds', 'nucleosides', 'insulins', 'insulin',
  'heparin', 'heparins', 'low-molecular-weight heparin', 'coumarins', '4-hydroxycoumarins', 'statins', 'thienopyridines',
  'amphetamines', 'ergot alkaloids', 'xanthines', 'methylxanthines', 'vitamins', 'electrolytes', 'antibodies, monoclonal',
  'immunoglobulins', 'vaccines', 'prostaglandins', 'hormones', 'thyroid hormones', 'interferons', 'tricyclic compounds',
  'narcotics', 'fish oils', 'omega-3 fatty acids', 'probiotics', 'antacids', 'laxatives', 'cathartics', 'emollients', 'antihistamines',
  'bronchodilators', 'decongestants', 'nasal decongestants', 'expectorants', 'antitussives', 'muscle relaxants', 'neuromuscular blocking agents',
]);
const PHARMACOLOGIC = /\b(?:agents?|inhibitors?|blockers?|antagonists?|agonists?|modulators?|antibiotics?|antibacterials?|antivirals?|antifungals?|antineoplastics?|analgesics?|anesthetics?|diuretics?|vasodilators?|anticoagulants?|antihypertensives?|hypnotics?|sedatives?|tranquilizers?|stimulants?|vaccines?|hormones?|vitamins?|supplements?|therapy|drugs?)\b|^anti/i;
/** Chemistry morphemes: a plural name built from them is a structure class. */
const CHEMICAL_MORPHEME = /(?:methyl|ethyl|propyl|butyl|phenyl|benz|pyrid|pyrimid|pyrazol|imidazol|carbazol|indol|quinol|piperid|piperazin|thiophen|furan|pyrrol|sulf(?:inyl|onyl|oxide|ide)|hydroxy|amino|chloro|fluoro|bromo|nitro|cyclo|heterocycl|aromatic|aliphatic|hydrocarbon|carboxyl|alcohol|amine|amide|ester|ether|ketone|aldehyde|phenol|hexose|pentose|saccharide|alkali|metal|halogen|organ(?:ic|o))/i;
/** A class name: plural, "compounds"/"derivatives", or MeSH's inverted "metals, alkali". */
const PLURAL_CLASS = /(?:s|compounds|derivatives)$|, /i;

interface GraphStats {
  /** Descendants (subtree size, without the concept) of every concept with children. */
  subtree: Map<string, number>;
  byType: Map<string, number>;
  /** Children, for "has children". */
  hasChildren: Set<string>;
}
const statsCache = new WeakMap<Graph, GraphStats>();

function graphStats(g: Graph): GraphStats {
  let s = statsCache.get(g);
  if (s) return s;
  const kids = new Map<string, string[]>();
  const byType = new Map<string, number>();
  for (const c of g.concepts.values()) {
    byType.set(c.type, (byType.get(c.type) ?? 0) + 1);
    for (const p of c.parents) {
      if (p === c.id || !g.concepts.has(p)) continue;
      const l = kids.get(p);
      if (l) l.push(c.id);
      else kids.set(p, [c.id]);
    }
  }
  const subtree = new Map<string, number>();
  for (const id of kids.keys()) {
    const seen = new Set<string>();
    const stack = [id];
    while (stack.length) {
      for (const k of kids.get(stack.pop()!) ?? []) {
        if (seen.has(k)) continue;
        seen.add(k);
        stack.push(k);
      }
    }
    subtree.set(id, seen.size);
  }
  s = { subtree, byType, hasChildren: new Set(kids.keys()) };
  statsCache.set(g, s);
  return s;
}

function generic(entity: string, concepts: readonly string[], g: Graph): SuspicionReason | undefined {
  if (GENERIC_TERMS.has(termKey(entity))) return { code: 'generic_entity', detail: 'one of the top words of its type: says nothing about the chunk' };
  const st = graphStats(g);
  for (const id of concepts) {
    const c = g.concepts.get(id);
    const n = st.subtree.get(id) ?? 0;
    const of = c ? (st.byType.get(c.type) ?? 0) : 0;
    if (c && of > 0 && n >= GENERIC_SHARE * of) return { code: 'generic_entity', detail: `a category over ${Math.round((100 * n) / of)}% of the graph's ${c.type} concepts` };
  }
  return undefined;
}

function chemicalClass(entity: string, concepts: readonly string[], g: Graph): SuspicionReason | undefined {
  const key = entity.trim().toLowerCase();
  if (CLINICAL_CLASSES.has(termKey(entity)) || PHARMACOLOGIC.test(key)) return undefined;
  const st = graphStats(g);
  const known = concepts.map((id) => g.concepts.get(id)).filter((c) => c !== undefined);
  if (known.length) {
    // a class of the graph (it has children) named like one (plural, "compounds", MeSH's "metals, alkali"); a
    // substance with children of its own ("insulin", "morphine") is a drug
    if (PLURAL_CLASS.test(key) && known.some((c) => c.type === 'drug' && st.hasChildren.has(c.id)) && !known.some((c) => c.type === 'drug' && !st.hasChildren.has(c.id))) {
      return { code: 'chemical_class', detail: 'a chemical-structure class of the graph, not a drug or a clinical drug class' };
    }
    return undefined;
  }
  if (CHEMICAL_MORPHEME.test(key) && PLURAL_CLASS.test(key)) return { code: 'chemical_class', detail: 'named by chemical structure, not a drug or a clinical drug class' };
  return undefined;
}

/** Ancestors (up to `depth` levels) and related concepts of the chunk's mentions. */
function reachable(mentions: readonly EntityMatch[], g: Graph, depth = 3): Set<string> {
  const out = new Set<string>();
  let frontier = mentions.map((m) => m.conceptId);
  for (const id of frontier) {
    out.add(id);
    for (const r of g.concepts.get(id)?.related ?? []) out.add(r);
  }
  for (let d = 0; d < depth; d++) {
    const next: string[] = [];
    for (const id of frontier) {
      for (const p of g.concepts.get(id)?.parents ?? []) {
        if (out.has(p)) continue;
        out.add(p);
        next.push(p);
      }
    }
    frontier = next;
  }
  return out;
}

const STOP = new Set(['of', 'the', 'and', 'or', 'with', 'without', 'in', 'on', 'to', 'for', 'by', 'due', 'other', 'unspecified', 'disease', 'disorder', 'syndrome', 'procedure', 'procedures', 'therapy', 'agents', 'agent', 'drugs', 'drug']);

function unsupported(entity: string, type: EntityType, concepts: readonly string[], text: string, mentions: readonly EntityMatch[], g: Graph): SuspicionReason | undefined {
  const words = termKey(entity).split(' ').filter((w) => w.length >= 4 && !STOP.has(w));
  const lowText = text.toLowerCase();
  // a shared word stem (5 letters) is a lead: "diabetic" for "diabetes mellitus", "renal" for "renal failure"
  if (words.some((w) => lowText.includes(w.slice(0, Math.min(w.length, 5))))) return undefined;
  // a short form of the entity's concept written in the chunk ("MS" for multiple sclerosis), even an ambiguous one
  const tokens = new Set(text.split(/[^\p{L}\p{N}/-]+/u));
  if (concepts.some((id) => g.concepts.get(id)?.abbreviations.some(([sf]) => tokens.has(sf) || tokens.has(sf.toUpperCase())))) return undefined;
  if (concepts.length) {
    const near = reachable(mentions, g);
    if (concepts.some((id) => near.has(id))) return undefined;
  }
  // the graph files drugs under chemistry, not under their pharmacological classes: a pharmacological class
  // ("beta blockers", "antihypertensive agents") of a chunk that names a drug cannot be checked, so it passes
  if (type === 'drug' && PHARMACOLOGIC.test(entity.trim().toLowerCase()) && mentions.some((m) => g.concepts.get(m.conceptId)?.type === 'drug')) return undefined;
  return { code: 'unsupported', detail: 'implicit, and nothing in the chunk leads to it (no shared word, no mention it is a hypernym of or related to)' };
}

const STOPPED_BEFORE = /(?:\ballerg(?:y|ies|ic)\b(?:\s+(?:to|include|including|are|is))?|\bintoleran(?:t|ce)\b(?:\s+(?:of|to))?|\breaction\s+to|\b(?:stopped|stop|discontinued|discontinue|d\/c(?:'?d)?|dc'?d|held|hold(?:ing)?|off|came\s+off|taken\s+off|no\s+longer\s+(?:on|taking|takes)|switched\s+from)\b)[^.;\n]{0,40}$/i;
const STOPPED_AFTER = /^[^.;\n]{0,30}?\b(?:was|were|has\s+been|had\s+been|been)?\s*(?:stopped|discontinued|d\/c(?:'?d)?|held|caused|causes|(?:led|leads)\s+to)\b|^\s*\(?\s*(?:allergy|allergic|rash|hives|anaphylaxis|angioedema)\b/i;
const ALLERGY_HEADER = /\ballerg(?:y|ies)\s*:[^\n]*$/i;

function stoppedOrAllergic(text: string, spans: readonly EvidenceSpan[]): SuspicionReason | undefined {
  if (spans.length === 0) return undefined;
  let n = 0;
  for (const s of spans) {
    const before = text.slice(Math.max(0, s.start - 60), s.start);
    const after = text.slice(s.end, s.end + 40);
    if (STOPPED_BEFORE.test(before) || STOPPED_AFTER.test(after) || ALLERGY_HEADER.test(before)) n++;
  }
  return n === spans.length ? { code: 'stopped_or_allergic', detail: `every mention (${n}) is in an allergy, intolerance or stopped context` } : undefined;
}

export interface ClinicalInput {
  entity: string;
  entityType: EntityType;
  explicit?: boolean;
  /** Graph concepts the entity names (and its concept_id). */
  concepts: readonly string[];
  /** The chunk text; undefined when the chunk is stale. */
  text: string | undefined;
  /** Evidence spans of the entity in the chunk. */
  spans: readonly EvidenceSpan[];
  /** The chunk's graph mentions. */
  mentions: readonly EntityMatch[];
  graph: Graph;
}

/** The clinical-language reasons of one pair (none, one or several). */
export function clinicalReasons(x: ClinicalInput): SuspicionReason[] {
  const out: SuspicionReason[] = [];
  const push = (r: SuspicionReason | undefined): void => void (r && out.push(r));
  if (x.entityType === 'drug') {
    push(labValue(x.entity, x.text, x.spans));
    push(chemicalClass(x.entity, x.concepts, x.graph));
    if (x.text !== undefined) push(stoppedOrAllergic(x.text, x.spans));
  }
  push(generic(x.entity, x.concepts, x.graph));
  if (x.text !== undefined && x.spans.length === 0 && x.explicit !== true && !out.some((r) => r.code === 'generic_entity')) push(unsupported(x.entity, x.entityType, x.concepts, x.text, x.mentions, x.graph));
  return out;
}
