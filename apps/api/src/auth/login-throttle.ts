import { Injectable } from '@nestjs/common';
import { TooManyRequestsError } from '../common/too-many-requests.error';
import { ApiConfig } from '../config/api.config';

interface Window {
  count: number;
  resetAt: number;
}

/**
 * Counts events per key in fixed windows. Memory is bounded: past `maxKeys` keys, expired windows
 * are dropped first, then the oldest ones.
 */
export class WindowCounter {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly maxKeys = 100_000,
  ) {}

  /** How long `key` must wait (ms), or 0 when it may go on. A limit of 0 never blocks. */
  blockedFor(key: string, now = Date.now()): number {
    if (this.max <= 0) return 0;
    const w = this.windows.get(key);
    if (!w || w.resetAt <= now) return 0;
    return w.count >= this.max ? w.resetAt - now : 0;
  }

  add(key: string, now = Date.now()): void {
    if (this.max <= 0) return;
    const w = this.windows.get(key);
    if (w && w.resetAt > now) {
      w.count++;
      return;
    }
    this.windows.delete(key);
    this.windows.set(key, { count: 1, resetAt: now + this.windowMs });
    if (this.windows.size > this.maxKeys) this.evict(now);
  }

  /** Takes back one count (a reservation that turned out to be a success). */
  release(key: string): void {
    const w = this.windows.get(key);
    if (w && --w.count <= 0) this.windows.delete(key);
  }

  forget(key: string): void {
    this.windows.delete(key);
  }

  get size(): number {
    return this.windows.size;
  }

  private evict(now: number): void {
    for (const [k, w] of this.windows) if (w.resetAt <= now) this.windows.delete(k);
    for (const k of this.windows.keys()) {
      if (this.windows.size <= this.maxKeys) break;
      this.windows.delete(k);
    }
  }
}

/** A sign-in attempt that was let through; settle it with succeeded() or leave it counted as a failure. */
export interface LoginAttempt {
  login: string;
  address: string;
}

/**
 * Bounds the password hashing an outsider can cause, before any hashing starts.
 *
 * Sign-in: an attempt counts against its login and its client address from the moment it starts
 * (so a burst of concurrent attempts is cut off at the limit, not after all of them were hashed)
 * and is taken back when it succeeds. So only failures accumulate: a user who signs in correctly,
 * however often, is never throttled, and a success clears its login's failures. Past the limit the
 * answer is 429 with Retry-After until the window ends, whatever the password: checking it would
 * be the very work being limited.
 *
 * Registration: every attempt counts against the client address (each costs a hash and may
 * create an account).
 *
 * The counters live in this process: with several api replicas each one counts on its own.
 */
@Injectable()
export class LoginThrottle {
  private readonly perLogin: WindowCounter;
  private readonly perAddress: WindowCounter;
  private readonly registrations: WindowCounter;

  constructor(config: ApiConfig) {
    const windowMs = config.loginThrottleWindowSeconds * 1000;
    this.perLogin = new WindowCounter(config.loginMaxFailuresPerLogin, windowMs);
    this.perAddress = new WindowCounter(config.loginMaxFailuresPerAddress, windowMs);
    this.registrations = new WindowCounter(config.registerMaxPerAddress, windowMs);
  }

  /** Refuses (429) or reserves one failure against the login and the address. */
  beginLogin(login: string, address: string, now = Date.now()): LoginAttempt {
    const key = login.trim().toLowerCase();
    const wait = Math.max(this.perLogin.blockedFor(key, now), this.perAddress.blockedFor(address, now));
    if (wait > 0) throw new TooManyRequestsError('too many failed sign-ins; try again later', wait);
    this.perLogin.add(key, now);
    this.perAddress.add(address, now);
    return { login: key, address };
  }

  succeeded(attempt: LoginAttempt): void {
    this.perLogin.forget(attempt.login);
    this.perAddress.release(attempt.address);
  }

  beginRegistration(address: string, now = Date.now()): void {
    const wait = this.registrations.blockedFor(address, now);
    if (wait > 0) throw new TooManyRequestsError('too many registrations from this address; try again later', wait);
    this.registrations.add(address, now);
  }
}
