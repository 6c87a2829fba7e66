import { BlobRepository } from '@attune/persistence';
import { type Logger, ROOT_LOGGER } from '@attune/service-kit';
import { BLOB_STORE, BlobNotFoundError, type BlobStore } from '@attune/storage';
import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { createGunzip } from 'node:zlib';
import { Counter } from 'prom-client';
import { ArtifactStoreConfig } from '../config/artifact-store.config';

const scrubbed = new Counter({
  name: 'attune_artifact_scrub_blobs_total',
  help: 'Blobs re-read by the integrity scrub, by outcome (sound, corrupt, missing)',
  labelNames: ['outcome'],
});
const scrubbedBytes = new Counter({ name: 'attune_artifact_scrub_bytes_total', help: 'Bytes re-read by the integrity scrub' });

export interface ScrubReport {
  checked: number;
  bytes: number;
  /** Blobs this pass found corrupt (bytes not what was committed, or gone), by sha256; not those known so before. */
  corrupt: string[];
}

/**
 * The integrity scrub: every ATTUNE_BLOB_SCRUB_INTERVAL_MS it re-reads a bounded batch of stored
 * blobs (at most ATTUNE_BLOB_SCRUB_BATCH of them and about ATTUNE_BLOB_SCRUB_MAX_BYTES), those
 * checked longest ago first, and hashes them again. A blob whose bytes no longer match its sha256
 * (or whose object is gone) is marked corrupt and logged; the api then refuses to serve it, even
 * a ranged read, which is not hashed on the way. Uploading the same content again replaces the
 * corrupt object; a blob found sound again (restored by hand) is cleared.
 *
 * Replicas may scrub at once: each blob is claimed with SKIP LOCKED and stamped when taken.
 */
@Injectable()
export class BlobScrubber {
  constructor(
    private readonly blobs: BlobRepository,
    private readonly config: ArtifactStoreConfig,
    @Inject(BLOB_STORE) private readonly store: BlobStore,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  /** One pass (every ATTUNE_BLOB_SCRUB_INTERVAL_MS, PeriodicJobs). */
  async sweep(): Promise<ScrubReport> {
    const passStart = new Date();
    const report: ScrubReport = { checked: 0, bytes: 0, corrupt: [] };
    while (report.checked < this.config.scrubBatch && report.bytes < this.config.scrubMaxBytes) {
      const blob = await this.blobs.claimBlobToScrub(passStart);
      if (!blob) break;
      const found = await this.rehash(blob.key, blob.sizeBytes, blob.encoding);
      report.checked++;
      report.bytes += found.bytes;
      const sound = found.sha256 === blob.sha256 && found.bytes === blob.sizeBytes;
      const recorded = await this.blobs.recordScrub(blob.sha256, blob.key, sound);
      const outcome = sound ? 'sound' : found.missing ? 'missing' : 'corrupt';
      scrubbed.inc({ outcome });
      scrubbedBytes.inc(found.bytes);
      if (recorded === 'known') this.logger.warn({ sha256: blob.sha256, key: blob.key, outcome }, 'stored blob still fails its integrity check');
      if (recorded === 'new') {
        report.corrupt.push(blob.sha256);
        this.logger.error(
          { sha256: blob.sha256, key: blob.key, size_bytes: blob.sizeBytes, found_bytes: found.bytes, found_sha256: found.sha256, outcome },
          'stored blob fails its integrity check; it is no longer served (upload the same content again to replace it)',
        );
      }
    }
    if (report.checked) this.logger.info({ checked: report.checked, bytes: report.bytes, corrupt: report.corrupt.length }, 'blob integrity scrub pass');
    return report;
  }

  /** The sha256 and length of what is stored at `key`, reading at most one byte past `size`. */
  /** A gzip-encoded blob is checked by the content it decompresses to (a broken stream is corrupt). */
  private async rehash(key: string, size: number, encoding: 'gzip' | null): Promise<{ sha256?: string; bytes: number; missing?: boolean }> {
    let stored: NodeJS.ReadableStream;
    try {
      stored = await this.store.get(key);
    } catch (err) {
      if (err instanceof BlobNotFoundError) return { bytes: 0, missing: true };
      throw err;
    }
    const stream = (encoding === 'gzip' ? stored.pipe(createGunzip()) : stored) as NodeJS.ReadableStream & AsyncIterable<Buffer>;
    if (encoding === 'gzip') stored.on('error', (err) => (stream as unknown as { destroy: (e: Error) => void }).destroy(err));
    const hash = createHash('sha256');
    let bytes = 0;
    try {
      for await (const chunk of stream) {
        hash.update(chunk);
        bytes += chunk.length;
        if (bytes > size) {
          (stream as unknown as { destroy?: () => void }).destroy?.();
          break;
        }
      }
    } catch (err) {
      if (encoding !== 'gzip') throw err;
      return { sha256: `undecodable: ${(err as Error).message}`, bytes };
    }
    return { sha256: hash.digest('hex'), bytes };
  }
}
