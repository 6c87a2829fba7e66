import type { Command } from 'commander';
import { usageError } from '../errors/exit-codes';
import type { ApiClient, Query } from '../http/api-client';

export interface JsonOpt {
  json?: boolean;
}

export const JSON_HELP = 'print machine-readable JSON (the API\'s data) instead of tables';

/** Every command takes --json. */
export function withJson(cmd: Command): Command {
  return cmd.option('--json', JSON_HELP);
}

/** A numeric id argument. */
export function parseId(value: string, what = 'id'): number {
  if (!/^[1-9][0-9]{0,15}$/.test(value.trim()) || !Number.isSafeInteger(Number(value))) throw usageError(`${what} must be a positive integer, not "${value}"`);
  return Number(value.trim());
}

export const DEFAULT_LIMIT = 50;
const PAGE_MAX = 100;

interface Page<T> {
  data: T[];
  pagination?: { page: number; per_page: number; total: number; total_pages: number };
}

/** Up to `limit` items of a paginated list, fetching as many pages as that takes. */
export async function listPages<T>(api: ApiClient, path: string, query: Query, limit: number): Promise<{ items: T[]; total: number }> {
  const items: T[] = [];
  const perPage = Math.min(limit, PAGE_MAX);
  let total = 0;
  for (let page = 1; items.length < limit; page++) {
    const res = await api.json<Page<T>>('GET', path, { query: { ...query, page, per_page: perPage } });
    const data = res?.data ?? [];
    total = res?.pagination?.total ?? data.length;
    items.push(...data.slice(0, limit - items.length));
    if (data.length < perPage || page >= (res?.pagination?.total_pages ?? page)) break;
  }
  return { items, total };
}

/** "Showing 50 of 120" when a list was cut by --limit. */
export function moreNote(shown: number, total: number): string {
  return total > shown ? `Showing ${shown} of ${total}; use --limit to see more.\n` : '';
}

export interface ArtifactData {
  id: number;
  ref: string;
  type: string;
  scope: string;
  owner: string;
  name: string | null;
  description: string | null;
  content_type: string | null;
  size_bytes: number;
  execution: number | null;
  retention_policy: string | null;
  retention_limit: number | null;
  data: unknown;
  latest_version: number | null;
  created: string;
  updated: string;
}

export interface VersionData {
  id: number;
  artifact: number;
  version: number;
  execution: number | null;
  content_type: string;
  size_bytes: number;
  sha256: string;
  created_by: string | null;
  created: string;
}

/** An artifact by numeric id or by ref (an all-digit argument is an id). */
export function getArtifact(api: ApiClient, idOrRef: string): Promise<ArtifactData> {
  const v = idOrRef.trim();
  if (!v) throw usageError('give an artifact id or ref');
  if (/^\d+$/.test(v)) return api.get<ArtifactData>(`/api/v1/artifacts/${parseId(v, 'artifact id')}`);
  return api.get<ArtifactData>(`/api/v1/artifacts/ref/${encodeURIComponent(v)}`);
}
