/**
 * The opt-in audit trail (drehr.audit.enabled, off by default): who searched what, when, and how many patients
 * came back, as append-only JSONL in the workspace (.drehr/audit.jsonl), one record per write so that a crash
 * loses at most the record being written. EMERSE keeps such a log for IRB oversight. The records hold query
 * text, so they go only to this file, never to the log channel.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { SearchMode } from './shared/protocol';
import type { PatientAggregate, SearchFilters } from './shared/search';

export const AUDIT_FILE = path.join('.drehr', 'audit.jsonl');

export interface AuditRecord {
  /** ISO time of the search. */
  time: string;
  /** The OS user running the editor. */
  user: string;
  action: 'search' | 'patients' | 'similar' | 'bundle' | 'export';
  query?: string;
  bundle?: string;
  mode?: SearchMode;
  aggregate?: PatientAggregate;
  filters?: SearchFilters;
  /** Distinct patients returned (for passages, the patients of the hits). */
  patients: number;
  passages?: number;
  /** For exports: the format written. */
  format?: string;
}

export function osUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? 'unknown';
  }
}

/** One JSONL line. Pure. */
export function auditLine(r: AuditRecord): string {
  return JSON.stringify(r) + '\n';
}

/** Appends one record (creating .drehr/ when needed). One appendFile call per record: O_APPEND, no rewrite. */
export async function appendAudit(workspaceRoot: string, r: Omit<AuditRecord, 'time' | 'user'>, now = new Date()): Promise<void> {
  const file = path.join(workspaceRoot, AUDIT_FILE);
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  await fs.promises.appendFile(file, auditLine({ time: now.toISOString(), user: osUser(), ...r }), { encoding: 'utf8', flag: 'a' });
}
