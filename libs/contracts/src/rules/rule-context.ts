import { parsePath, type PathSegment, PathSyntaxError } from './object-path';

/**
 * What conditions and templates may read: `event.*`, `rule.*` and `keystore.*` (the datastore
 * keys visible to the rule's pack: KeystoreScope), nothing else.
 */
export const CONTEXT_ROOTS = ['event', 'rule', 'keystore'] as const;

export interface RuleContext {
  event: {
    id: number;
    trigger_ref: string;
    /** The event payload exactly as received (JSON). */
    payload: unknown;
    source: string | null;
    created: string;
  };
  rule: { ref: string; pack_ref: string };
  /** Filled in by the executor when the rule fires; absent (every key missing) when checking a rule. */
  keystore?: Record<string, unknown>;
}

/** Parses a path and checks it starts at one of the context roots. */
export function parseContextPath(text: string): PathSegment[] {
  const segments = parsePath(text.trim());
  if (!(CONTEXT_ROOTS as readonly PathSegment[]).includes(segments[0])) {
    throw new PathSyntaxError(`path "${text.trim()}" must start with ${CONTEXT_ROOTS.map((r) => `"${r}."`).join(' or ')}`);
  }
  return segments;
}
