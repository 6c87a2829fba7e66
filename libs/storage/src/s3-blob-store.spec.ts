import { describe, expect, it } from '@jest/globals';
import { MAX_SINGLE_COPY_BYTES, planCopyParts } from './s3-blob-store';

// s3rver does not implement UploadPartCopy, so the >5 GiB copy path is only checked here, at
// the level of the byte ranges it asks S3 for.
describe('planCopyParts', () => {
  function expectTiling(parts: { partNumber: number; start: number; end: number }[], size: number): void {
    expect(parts[0].start).toBe(0);
    expect(parts[parts.length - 1].end).toBe(size - 1);
    parts.forEach((part, i) => {
      expect(part.partNumber).toBe(i + 1);
      expect(part.end).toBeGreaterThanOrEqual(part.start);
      if (i > 0) expect(part.start).toBe(parts[i - 1].end + 1);
      expect(part.end - part.start + 1).toBeLessThanOrEqual(MAX_SINGLE_COPY_BYTES);
    });
  }

  it('tiles an object just over the single-copy limit without gaps or overlaps', () => {
    const size = MAX_SINGLE_COPY_BYTES + 1;
    const parts = planCopyParts(size);
    expectTiling(parts, size);
    expect(parts).toHaveLength(11); // ten 512 MiB parts and a 1-byte tail
  });

  it('grows the part size to stay within 10,000 parts for huge objects', () => {
    const size = 5 * 1024 ** 4; // 5 TiB, S3's object limit
    const parts = planCopyParts(size);
    expectTiling(parts, size);
    expect(parts.length).toBeLessThanOrEqual(10_000);
  });

  it('handles a size that divides evenly', () => {
    const parts = planCopyParts(4 * 1024, 1024);
    expect(parts).toEqual([
      { partNumber: 1, start: 0, end: 1023 },
      { partNumber: 2, start: 1024, end: 2047 },
      { partNumber: 3, start: 2048, end: 3071 },
      { partNumber: 4, start: 3072, end: 4095 },
    ]);
  });
});
