import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { assertValidBlobKey, assertValidBlobPrefix, contentAddressedKey } from './blob-key';
import { InvalidBlobKeyError } from './blob-store.errors';

const hash = createHash('sha256').update('attune').digest('hex');

describe('contentAddressedKey', () => {
  it('fans out by the first two byte pairs and ends with the full digest', () => {
    expect(contentAddressedKey(hash)).toBe(`blobs/sha256/${hash.slice(0, 2)}/${hash.slice(2, 4)}/${hash}`);
    expect(contentAddressedKey('ab'.repeat(32))).toBe(`blobs/sha256/ab/ab/${'ab'.repeat(32)}`);
  });

  it('normalises an upper-case digest to the same key', () => {
    expect(contentAddressedKey(hash.toUpperCase())).toBe(contentAddressedKey(hash));
  });

  it('produces valid blob keys', () => {
    expect(() => assertValidBlobKey(contentAddressedKey(hash))).not.toThrow();
  });

  it.each(['', 'abc', hash.slice(1), `${hash}0`, `${hash.slice(1)}g`, `../${hash.slice(3)}`])(
    'rejects %j, which is not a SHA-256 hex digest',
    (bad) => {
      expect(() => contentAddressedKey(bad)).toThrow(InvalidBlobKeyError);
    },
  );
});

describe('assertValidBlobKey', () => {
  it.each([
    'staging/2f1c8c5e-7d2a-4d1e-9a51-0b7c3f1e2d4a',
    'a',
    'artifacts/42/v1/report.json',
    '.hidden',
    'a..b/...',
    'dir with spaces/résumé ✓.txt',
    'x'.repeat(255),
    Array.from({ length: 4 }, () => 'y'.repeat(255)).join('/'), // 1023 bytes
  ])('accepts %j', (key) => {
    expect(() => assertValidBlobKey(key)).not.toThrow();
  });

  it.each([
    ['', 'empty'],
    ['/etc/passwd', 'leading slash'],
    ['..', 'parent segment'],
    ['../x', 'parent segment first'],
    ['a/../../x', 'parent segment inside'],
    ['a/..', 'parent segment last'],
    ['./a', 'current-dir segment'],
    ['a//b', 'empty segment'],
    ['a/', 'trailing slash'],
    ['a\u0000b', 'NUL'],
    ['a\nb', 'newline'],
    ['a\\..\\b', 'backslash'],
    ['x'.repeat(256), 'segment over 255 bytes'],
    ['é'.repeat(128), 'segment over 255 UTF-8 bytes though 128 characters'],
    [Array.from({ length: 5 }, () => 'y'.repeat(205)).join('/'), 'key over 1024 bytes'],
  ])('rejects %j (%s)', (key) => {
    expect(() => assertValidBlobKey(key)).toThrow(InvalidBlobKeyError);
  });

  it('rejects non-strings', () => {
    expect(() => assertValidBlobKey(undefined as unknown as string)).toThrow(InvalidBlobKeyError);
  });

  it('names the key and a stable code in the error', () => {
    const error = (() => {
      try {
        assertValidBlobKey('../x');
      } catch (e) {
        return e as InvalidBlobKeyError;
      }
    })();
    expect(error).toMatchObject({ code: 'INVALID_BLOB_KEY', key: '../x', name: 'InvalidBlobKeyError' });
  });
});

describe('assertValidBlobPrefix', () => {
  it.each(['', 'staging/', 'blobs/sha256/ab', 'a/..partial', 'a/.'])('accepts %j', (prefix) => {
    expect(() => assertValidBlobPrefix(prefix)).not.toThrow();
  });

  it.each(['/a', '../', 'a/../', 'a//', 'a\u0000'])('rejects %j', (prefix) => {
    expect(() => assertValidBlobPrefix(prefix)).toThrow(InvalidBlobKeyError);
  });
});
