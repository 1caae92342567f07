/**
 * The LLM task (the paper's Stage II data): per chunk and entity type, the entities explicitly mentioned or
 * implicitly inferable, as standardized terms, one a line. The template's version and SHA-256 go on every pair;
 * changing the text means a new PROMPT_VERSION.
 */
import type { EntityType } from '../../shared/pairs';
import { sha256 } from './ids';

export const PROMPT_VERSION = 'drehr-llm-1';
export const TEMPERATURE = 0.1;

export const SYSTEM_PROMPT = 'You are a clinical information extraction assistant. You read de-identified clinical notes and list medical entities as standardized terms.';

export const USER_TEMPLATE = `Below is an excerpt of a de-identified clinical note.

List every {{TYPE}} that is explicitly mentioned in the excerpt or can be implicitly inferred from it.
Use standardized medical terms (for example "hypertension", not "high BP"; generic drug names).
Write one term per line, with no numbering, explanations or other text. If there is none, write None.

Excerpt:
"""
{{CHUNK}}
"""`;

export const TYPE_WORDS: Record<EntityType, string> = {
  diagnosis: 'diagnosis (disease, disorder, syndrome or clinical finding)',
  procedure: 'procedure (surgery, test, imaging study or therapy)',
  drug: 'drug (medication, by generic name where possible)',
};

/** SHA-256 of the exact template (system prompt, user template and type words). */
export const PROMPT_SHA = sha256(JSON.stringify({ system: SYSTEM_PROMPT, user: USER_TEMPLATE, types: TYPE_WORDS, temperature: TEMPERATURE }));

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export function buildMessages(chunkText: string, type: EntityType): ChatMessage[] {
  return [
    { role: 'system', content: SYSTEM_PROMPT },
    { role: 'user', content: USER_TEMPLATE.replace('{{TYPE}}', TYPE_WORDS[type]).replace('{{CHUNK}}', () => chunkText) },
  ];
}

/** `<pairs>.prompt.json`: the exact prompt the pairs' `prompt_sha` names, written beside an LLM run's pairs. */
export const PROMPT_FILE_SUFFIX = '.prompt.json';

export function promptRecord(): { prompt_version: string; prompt_sha: string; temperature: number; system: string; user: string; types: Record<EntityType, string> } {
  return { prompt_version: PROMPT_VERSION, prompt_sha: PROMPT_SHA, temperature: TEMPERATURE, system: SYSTEM_PROMPT, user: USER_TEMPLATE, types: TYPE_WORDS };
}
