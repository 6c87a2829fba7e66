export * from './action-definition';
export * from './pack-archive';
export * from './pack-definition';

/** Where a pack archive lives in the blob store: named by its SHA-256, under `packs/`. */
export function packArchiveKey(digest: string): string {
  if (!/^[0-9a-f]{64}$/.test(digest)) throw new Error(`not a SHA-256 hex digest: ${JSON.stringify(digest)}`);
  return `packs/sha256/${digest}.tar.gz`;
}
export * from './workflow-action';
