import { describe, expect, it } from '@jest/globals';
import { newUploadKey, parseDuration, uploadKeyCreatedAt } from './artifacts';

describe('parseDuration', () => {
  it.each([
    ['45s', 45_000],
    ['15m', 900_000],
    ['6h', 21_600_000],
    ['30d', 2_592_000_000],
    ['2w', 1_209_600_000],
  ])('reads %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '7', 'd', '0d', '-1d', '1.5h', '7 d', '7days', '1y', '01d'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('upload keys', () => {
  it('carry their creation time, which the collector reads back', () => {
    const key = newUploadKey('0b7c3f1e-2d4a', 1_763_900_000_123);
    expect(key).toBe('blobs/u/1763900000123-0b7c3f1e-2d4a');
    expect(uploadKeyCreatedAt(key)).toBe(1_763_900_000_123);
  });

  it('date the staging keys of earlier versions too', () => {
    expect(uploadKeyCreatedAt('staging/1763900000123-0b7c3f1e')).toBe(1_763_900_000_123);
  });

  it('answer no time for keys this code did not write', () => {
    expect(uploadKeyCreatedAt('staging/upload-1')).toBeUndefined();
    expect(uploadKeyCreatedAt('blobs/staging/1763900000123-x')).toBeUndefined();
    expect(uploadKeyCreatedAt('blobs/u/1763900000123-x/../y')).toBeUndefined();
    expect(uploadKeyCreatedAt('blobs/sha256/ab/cd/1763900000123-x')).toBeUndefined();
  });
});
