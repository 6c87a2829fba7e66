import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { getRounds, truncates } from 'bcryptjs';
import { scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { ApiConfig } from '../config/api.config';
import { PasswordHashPool } from './password-hash-pool';

/** bcrypt reads at most 72 bytes of a password; longer ones are refused rather than cut. */
export const MAX_PASSWORD_BYTES = 72;

/**
 * Password hashes: bcrypt (bcryptjs, pure JavaScript, so nothing native to build) at the
 * configured cost, computed in a small pool of worker threads (ATTUNE_PASSWORD_HASH_THREADS) so
 * that hashing never blocks the event loop. Hashes written by earlier versions (`scrypt$N$r$p$salt$hash`) still verify,
 * and `needsRehash` tells the caller to replace them (and bcrypt hashes of a lower cost) after
 * a successful sign-in.
 */
@Injectable()
export class PasswordHasher implements OnModuleDestroy {
  private readonly rounds: number;
  private readonly pool: PasswordHashPool;

  constructor(config: ApiConfig) {
    this.rounds = config.bcryptRounds;
    this.pool = new PasswordHashPool(config.passwordHashThreads ?? 2);
  }

  async hash(password: string): Promise<string> {
    if (truncates(password)) throw new Error(`passwords are limited to ${MAX_PASSWORD_BYTES} bytes`);
    return this.pool.hash(password, this.rounds);
  }

  async verify(password: string, stored: string): Promise<boolean> {
    if (stored.startsWith('scrypt$')) return verifyScrypt(password, stored);
    if (!/^\$2[aby]\$\d\d\$/.test(stored) || truncates(password)) return false;
    return this.pool.compare(password, stored);
  }

  async onModuleDestroy(): Promise<void> {
    await this.pool.close();
  }

  needsRehash(stored: string): boolean {
    if (!/^\$2[aby]\$\d\d\$/.test(stored)) return true;
    return getRounds(stored) < this.rounds;
  }
}

function deriveScrypt(password: string, salt: Buffer, n: number, r: number, p: number, keylen: number): Promise<Buffer> {
  const options: ScryptOptions = { N: n, r, p, maxmem: 64 * 1024 * 1024 };
  return new Promise((resolve, reject) => scrypt(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))));
}

/** The hash format of earlier versions; only ever verified now, never written. */
export async function verifyScrypt(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, digest] = stored.split('$');
  if (scheme !== 'scrypt' || !digest) return false;
  const expected = Buffer.from(digest, 'base64');
  try {
    const actual = await deriveScrypt(password, Buffer.from(salt, 'base64'), Number(n), Number(r), Number(p), expected.length);
    return timingSafeEqual(actual, expected);
  } catch {
    return false;
  }
}
