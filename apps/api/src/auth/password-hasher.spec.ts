import { randomBytes, scryptSync } from 'node:crypto';
import type { ApiConfig } from '../config/api.config';
import { PasswordHasher } from './password-hasher';

const hasher = new PasswordHasher({ bcryptRounds: 10 } as ApiConfig);

/** A hash as the previous version of the api wrote it. */
function legacyScrypt(password: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(password, salt, 64, { N: 16384, r: 8, p: 1 });
  return ['scrypt', 16384, 8, 1, salt.toString('base64'), key.toString('base64')].join('$');
}

afterAll(() => hasher.onModuleDestroy());

describe('PasswordHasher', () => {
  it('hashes off the event loop: a timer keeps firing on time during concurrent cost-12 hashes', async () => {
    const costly = new PasswordHasher({ bcryptRounds: 12, passwordHashThreads: 2 } as ApiConfig);
    try {
      let worstLag = 0;
      let last = performance.now();
      const timer = setInterval(() => {
        const now = performance.now();
        worstLag = Math.max(worstLag, now - last - 5);
        last = now;
      }, 5);
      const started = performance.now();
      const hashes = await Promise.all([costly.hash('one password'), costly.hash('two password'), costly.hash('three password')]);
      clearInterval(timer);
      // bcryptjs at cost 12 is a few hundred ms of CPU each: on the loop, the timer would have stalled that long.
      expect(performance.now() - started).toBeGreaterThan(150);
      expect(worstLag).toBeLessThan(100);
      await expect(costly.verify('two password', hashes[1])).resolves.toBe(true);
    } finally {
      await costly.onModuleDestroy();
    }
  }, 60_000);

  it('keeps verifying hashes that bcryptjs wrote on the event loop before', async () => {
    const { hashSync } = await import('bcryptjs');
    const old = hashSync('from before', 10);
    await expect(hasher.verify('from before', old)).resolves.toBe(true);
    await expect(hasher.verify('not it', old)).resolves.toBe(false);
  });

  it('hashes with bcrypt and verifies the right password only', async () => {
    const hash = await hasher.hash('TestPass123!');
    expect(hash).toMatch(/^\$2b\$10\$/);
    await expect(hasher.verify('TestPass123!', hash)).resolves.toBe(true);
    await expect(hasher.verify('testpass123!', hash)).resolves.toBe(false);
    expect(hasher.needsRehash(hash)).toBe(false);
  });

  it('salts every hash', async () => {
    expect(await hasher.hash('same')).not.toBe(await hasher.hash('same'));
  });

  it('still verifies scrypt hashes of earlier versions, and asks for a rehash', async () => {
    const old = legacyScrypt('TestPass123!');
    await expect(hasher.verify('TestPass123!', old)).resolves.toBe(true);
    await expect(hasher.verify('wrong', old)).resolves.toBe(false);
    expect(hasher.needsRehash(old)).toBe(true);
  });

  it('asks for a rehash when the configured cost went up', async () => {
    const cheap = await hasher.hash('x');
    expect(new PasswordHasher({ bcryptRounds: 11 } as ApiConfig).needsRehash(cheap)).toBe(true);
  });

  it('refuses passwords bcrypt would cut, and malformed stored hashes, without throwing on verify', async () => {
    await expect(hasher.hash('x'.repeat(73))).rejects.toThrow('72 bytes');
    await expect(hasher.verify('x', 'plain-text')).resolves.toBe(false);
    await expect(hasher.verify('x', 'scrypt$bad')).resolves.toBe(false);
    await expect(hasher.verify('x'.repeat(80), await hasher.hash('x'.repeat(72)))).resolves.toBe(false);
  });
});
