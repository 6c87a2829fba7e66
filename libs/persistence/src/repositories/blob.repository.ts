import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { nullableNumber, type Queryable, type Row, rowsOf } from './rows';

export type BlobEncoding = 'gzip' | null;

/** A blob row as the scrub and downloads see it. */
export interface BlobLocation {
  key: string;
  encoding: BlobEncoding;
}

function locationOf(r: Row): BlobLocation {
  return { key: r.storage_key as string, encoding: (r.encoding as BlobEncoding) ?? null };
}

/**
 * The `artifact_blobs` table: where each content's bytes are, and what the scrub found there.
 * Reads serve the api and artifact-store; writes are artifact-store's. A commit (see
 * ArtifactVersionRepository.commitVersion) and a collection of the same blob take the same row lock.
 */
@Injectable()
export class BlobRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** Which of these digests have a blob row. */
  async knownBlobs(sha256s: string[]): Promise<Set<string>> {
    return new Set((await this.blobKeys(sha256s)).keys());
  }

  /** Which of these object keys are a blob's home. */
  async knownStorageKeys(keys: string[]): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    const rows: Row[] = await this.ds.query(`SELECT storage_key FROM artifact_blobs WHERE storage_key = ANY($1::text[])`, [keys]);
    return new Set(rows.map((r) => r.storage_key as string));
  }

  async blobKey(sha256: string): Promise<string | null> {
    return (await this.blobKeys([sha256])).get(sha256) ?? null;
  }

  /** blobKey() for many digests at once; digests without a row are absent from the map. */
  async blobKeys(sha256s: string[]): Promise<Map<string, string>> {
    return new Map([...(await this.blobEncodings(sha256s))].map(([sha256, b]) => [sha256, b.key]));
  }

  /** Where a content's bytes are, and since when the scrub has found them corrupt (null: not known to be). */
  async blobForDownload(sha256: string): Promise<(BlobLocation & { corruptSince: Date | null }) | null> {
    const [row] = rowsOf(await this.ds.query(`SELECT storage_key, corrupt_since, encoding FROM artifact_blobs WHERE sha256 = $1`, [sha256]));
    return row ? { ...locationOf(row), corruptSince: (row.corrupt_since as Date | null) ?? null } : null;
  }

  /** Where each content is, how it is stored (`gzip` or null) and its stored size; digests without a row are absent. */
  async blobEncodings(sha256s: string[]): Promise<Map<string, BlobLocation & { storedSize: number | null }>> {
    if (sha256s.length === 0) return new Map();
    const rows: Row[] = await this.ds.query(`SELECT sha256, storage_key, encoding, stored_size FROM artifact_blobs WHERE sha256 = ANY($1::text[])`, [sha256s]);
    return new Map(rows.map((r) => [r.sha256 as string, { ...locationOf(r), storedSize: nullableNumber(r.stored_size) }]));
  }

  /** Blob rows no version references (what the collector removes), oldest reference first. */
  async findUnreferencedBlobs(limit: number): Promise<{ sha256: string; sizeBytes: number }[]> {
    const rows: Row[] = await this.ds.query(
      `SELECT b.sha256, b.size_bytes FROM artifact_blobs b
        WHERE NOT EXISTS (SELECT 1 FROM artifact_versions v WHERE v.sha256 = b.sha256)
        ORDER BY b.last_referenced LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({ sha256: r.sha256 as string, sizeBytes: Number(r.size_bytes) }));
  }

  /** Bytes of the blobs among `sha256s` that no version other than `versionIds` references. */
  async bytesOnlyReferencedBy(sha256s: string[], versionIds: number[], m: Queryable = this.ds): Promise<number> {
    const [row] = rowsOf(
      await m.query(
        `SELECT COALESCE(sum(b.size_bytes), 0)::bigint AS bytes FROM artifact_blobs b
          WHERE b.sha256 = ANY($1::text[])
            AND NOT EXISTS (SELECT 1 FROM artifact_versions v WHERE v.sha256 = b.sha256 AND NOT (v.id = ANY($2::bigint[])))`,
        [sha256s, versionIds],
      ),
    );
    return Number(row.bytes);
  }

  /** Blob rows with their reference counts, for tests and diagnostics. */
  async blobStats(sha256s: string[]): Promise<Map<string, number>> {
    const rows: Row[] = await this.ds.query(
      `SELECT b.sha256, (SELECT count(*) FROM artifact_versions v WHERE v.sha256 = b.sha256)::int AS refs
         FROM artifact_blobs b WHERE b.sha256 = ANY($1::text[])`,
      [sha256s],
    );
    return new Map(rows.map((r) => [r.sha256 as string, Number(r.refs)]));
  }

  /**
   * Removes one blob row if no version references it, calling `deleteObject` with the blob's
   * storage key while holding the row's lock (see commitVersion). Answers whether it was collected.
   */
  async collectBlob(sha256: string, deleteObject: (key: string) => Promise<void>): Promise<boolean> {
    return this.ds.transaction(async (m) => {
      const locked = rowsOf(await m.query(`SELECT storage_key FROM artifact_blobs WHERE sha256 = $1 FOR UPDATE`, [sha256]));
      if (!locked.length) return false;
      // A new statement, so a new snapshot: it sees every version committed before the lock was ours.
      const referenced = rowsOf(await m.query(`SELECT 1 FROM artifact_versions WHERE sha256 = $1 LIMIT 1`, [sha256]));
      if (referenced.length) return false;
      await deleteObject(locked[0].storage_key as string);
      await m.query(`DELETE FROM artifact_blobs WHERE sha256 = $1`, [sha256]);
      return true;
    });
  }

  /**
   * Deletes an upload that no blob row names (abandoned, or redundant after a failed commit),
   * under the same lock a commit of that key takes, so an upload is never deleted while it is
   * being adopted. Answers false, deleting nothing, when a blob lives there.
   */
  async deleteUnadoptedUpload(key: string, deleteObject: () => Promise<void>): Promise<boolean> {
    return this.ds.transaction(async (m) => {
      await m.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [key]);
      const adopted = rowsOf(await m.query(`SELECT 1 FROM artifact_blobs WHERE storage_key = $1`, [key]));
      if (adopted.length) return false;
      await deleteObject();
      return true;
    });
  }

  /**
   * The blob checked longest ago (never checked first) among those not checked since `passStart`,
   * stamped as checked now so a concurrent scrub (another replica) takes another one.
   */
  async claimBlobToScrub(passStart: Date): Promise<(BlobLocation & { sha256: string; sizeBytes: number }) | null> {
    const [row] = rowsOf(
      await this.ds.query(
        `UPDATE artifact_blobs SET verified_at = now()
          WHERE sha256 = (SELECT sha256 FROM artifact_blobs
                           WHERE verified_at IS NULL OR verified_at < $1
                           ORDER BY verified_at ASC NULLS FIRST, sha256 LIMIT 1 FOR UPDATE SKIP LOCKED)
          RETURNING sha256, size_bytes, storage_key, encoding`,
        [passStart],
      ),
    );
    return row ? { ...locationOf(row), sha256: row.sha256 as string, sizeBytes: Number(row.size_bytes) } : null;
  }

  /**
   * What the scrub found at `key`: a corrupt blob keeps the time it was first found so; a sound
   * one is cleared (restored by hand). Nothing changes if the blob moved to another key meanwhile
   * (a re-upload replaced it). Answers `new` when this check is the first to find it corrupt,
   * `known` when it was already, and `sound` or `moved` otherwise.
   */
  async recordScrub(sha256: string, key: string, sound: boolean): Promise<'new' | 'known' | 'sound' | 'moved'> {
    const rows = rowsOf(
      await this.ds.query(
        `UPDATE artifact_blobs SET corrupt_since = CASE WHEN $3 THEN NULL ELSE COALESCE(corrupt_since, now()) END
          WHERE sha256 = $1 AND storage_key = $2 RETURNING corrupt_since = now() AS newly`,
        [sha256, key, sound],
      ),
    );
    if (!rows.length) return 'moved';
    return sound ? 'sound' : rows[0].newly === true ? 'new' : 'known';
  }
}
