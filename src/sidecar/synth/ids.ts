/** Pair ids and chunk hashes (docs/CONTRACTS.md "Synthetic pairs"). */
import { createHash } from 'node:crypto';
import { normalizeEntity, type EntityType } from '../../shared/pairs';

/** First 16 hex of SHA-1 of `chunk_id + "\t" + normalized entity + "\t" + entity_type`. */
export function pairId(chunkId: string, entity: string, type: EntityType): string {
  return createHash('sha1').update(`${chunkId}\t${normalizeEntity(entity)}\t${type}`, 'utf8').digest('hex').slice(0, 16);
}

/** SHA-256 hex of the chunk text (UTF-8). */
export function chunkHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
