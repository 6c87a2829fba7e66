import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { BlobTooLargeError, FsBlobStore, InvalidBlobKeyError, type BlobHead } from '../src';
import { describeBlobStoreContract, readAll, sha256Of } from './blob-store-contract';

describeBlobStoreContract('fs driver', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'attune-fs-blobs-'));
  const store = new FsBlobStore({ root });
  return { store, teardown: () => rm(root, { recursive: true, force: true }) };
});

async function listAll(store: FsBlobStore, prefix: string): Promise<BlobHead[]> {
  const out: BlobHead[] = [];
  for await (const item of store.list(prefix)) out.push(item);
  return out;
}

describe('FsBlobStore specifics', () => {
  let base: string;
  let root: string;
  let store: FsBlobStore;

  beforeAll(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'attune-fs-specific-'));
    root = path.join(base, 'root');
    store = new FsBlobStore({ root });
  });
  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('lists in S3 key order (UTF-8 bytes of the whole key)', async () => {
    for (const key of ['order/b/c', 'order/b-dash', 'order/a', 'order/bz']) await store.put(key, Buffer.from('x'));
    expect((await listAll(store, 'order/')).map((h) => h.key)).toEqual(['order/a', 'order/b-dash', 'order/b/c', 'order/bz']);
  });

  it('lists only blobs: no sidecars, no temp files, even after failed writes', async () => {
    const cleanRoot = path.join(base, 'clean');
    const clean = new FsBlobStore({ root: cleanRoot });
    await clean.put('only/one', Buffer.from('1'), { contentType: 'text/plain' });
    await clean.put('only/two', Buffer.from('22'));
    await expect(clean.put('only/big', Buffer.alloc(100), { maxBytes: 10 })).rejects.toBeInstanceOf(BlobTooLargeError);
    let reads = 0;
    const broken = new Readable({
      read() {
        if (++reads === 1) this.push(Buffer.alloc(1024, 1));
        else this.destroy(new Error('boom'));
      },
    });
    await expect(clean.put('only/broken', broken)).rejects.toThrow('boom');
    expect(await listAll(clean, '')).toEqual([
      { key: 'only/one', size: 1 },
      { key: 'only/two', size: 2 },
    ]);
    expect(await readdir(path.join(cleanRoot, '.tmp'))).toEqual([]);
  });

  it('keeps blobs private: files 0600 in directories 0700, and closes a root an older version left open', async () => {
    const oldRoot = path.join(base, 'old');
    // As an older version left it: everything readable by every local user.
    await mkdir(path.join(oldRoot, 'objects', 'blobs', 'u'), { recursive: true, mode: 0o755 });
    await writeFile(path.join(oldRoot, 'objects', 'blobs', 'u', 'old'), 'old secret', { mode: 0o644 });
    await chmod(oldRoot, 0o755);
    const store = new FsBlobStore({ root: oldRoot });
    await store.put('blobs/u/new/one', Buffer.from('new secret'));
    for (const dir of ['', 'objects', 'meta', '.tmp', 'objects/blobs/u/new', 'meta/blobs/u/new']) {
      expect([dir, (await stat(path.join(oldRoot, dir))).mode & 0o777]).toEqual([dir, 0o700]);
    }
    for (const file of ['objects/blobs/u/new/one', 'meta/blobs/u/new/one']) {
      expect([file, (await stat(path.join(oldRoot, file))).mode & 0o777]).toEqual([file, 0o600]);
    }
    if (process.getuid?.() === 0) {
      // Another local user (an action's uid) reaches neither the new blob nor the old one.
      const probe = spawnSync('/bin/cat', [path.join(oldRoot, 'objects/blobs/u/new/one'), path.join(oldRoot, 'objects/blobs/u/old')], {
        uid: 250_500,
        gid: 250_500,
        cwd: '/',
        encoding: 'utf8',
      });
      expect(probe.stdout).toBe('');
      expect(probe.stderr.match(/Permission denied/g)).toHaveLength(2);
    }
    expect((await readAll(await store.get('blobs/u/new/one'))).toString()).toBe('new secret');
  });

  it('cannot be steered outside its root', async () => {
    for (const key of ['../outside', 'a/../../outside', '/etc/outside']) {
      await expect(store.put(key, Buffer.from('x'))).rejects.toBeInstanceOf(InvalidBlobKeyError);
    }
    expect(existsSync(path.join(base, 'outside'))).toBe(false);
    expect(existsSync(path.join(root, 'outside'))).toBe(false);
  });

  it('reports a key that is both a blob and a prefix as a conflict and keeps the original', async () => {
    await store.put('conflict/a', Buffer.from('file'));
    await expect(store.put('conflict/a/b', Buffer.from('x'))).rejects.toBeInstanceOf(InvalidBlobKeyError);
    await store.put('conflict/dir/x', Buffer.from('x'));
    await expect(store.put('conflict/dir', Buffer.from('x'))).rejects.toBeInstanceOf(InvalidBlobKeyError);
    expect((await readAll(await store.get('conflict/a'))).toString()).toBe('file');
    expect(await store.exists('conflict/dir')).toBe(false);
    expect(await store.exists('conflict/dir/x')).toBe(true);
    expect(await readdir(path.join(root, '.tmp'))).toEqual([]);
  });

  it('reports the sha256 as unknown, never wrong, when the sidecar does not describe the bytes', async () => {
    const data = Buffer.from('original bytes');
    await store.put('sidecar/obj', data);
    expect((await store.head('sidecar/obj'))?.sha256).toBe(sha256Of(data));
    // What a crash between renaming the bytes and renaming the sidecar would leave behind.
    await writeFile(path.join(root, 'objects', 'sidecar', 'obj'), 'replaced behind our back');
    const head = await store.head('sidecar/obj');
    expect(head).toEqual({ key: 'sidecar/obj', size: 'replaced behind our back'.length });
  });

  it('prunes directories emptied by delete', async () => {
    await store.put('prune/deep/er/obj', Buffer.from('x'));
    await store.delete('prune/deep/er/obj');
    expect(existsSync(path.join(root, 'objects', 'prune'))).toBe(false);
    expect(existsSync(path.join(root, 'meta', 'prune'))).toBe(false);
    await store.put('prune/deep/er/obj', Buffer.from('y'));
    expect((await readAll(await store.get('prune/deep/er/obj'))).toString()).toBe('y');
  });

  it('check() fails when the root cannot be written', async () => {
    const file = path.join(base, 'a-file');
    await writeFile(file, 'not a directory');
    await expect(new FsBlobStore({ root: file }).check()).rejects.toThrow();
    await expect(new FsBlobStore({ root: path.join(file, 'below') }).check()).rejects.toThrow();
  });

  it('treats a directory as no blob', async () => {
    await mkdir(path.join(root, 'objects', 'just-a-dir'), { recursive: true });
    expect(await store.head('just-a-dir')).toBeNull();
    await expect(store.get('just-a-dir')).rejects.toMatchObject({ code: 'BLOB_NOT_FOUND' });
    await expect(store.delete('just-a-dir')).resolves.toBeUndefined();
  });
});
