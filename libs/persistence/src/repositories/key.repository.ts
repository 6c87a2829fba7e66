import type { KeyAddress, KeyScope } from '@attune/contracts';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { nullableNumber, type Row, rowsOf, selectPage, SqlConditions } from './rows';

/** One datastore key as stored. `value` is null for an encrypted key: only `encryptedValue` holds it. */
export interface KeyRecord {
  id: number;
  name: string;
  scope: KeyScope;
  /** '' for system keys, the login for user keys, the pack ref for pack keys. */
  owner: string;
  ownerIdentity: number | null;
  encrypted: boolean;
  value: unknown;
  encryptedValue: string | null;
  expiresAt: Date | null;
  createdBy: string | null;
  created: Date;
  updated: Date;
}

/** A key to store: its address, and the value plain (unencrypted keys) or sealed. */
export type KeyWrite = KeyAddress & Pick<KeyRecord, 'ownerIdentity' | 'encrypted' | 'value' | 'encryptedValue' | 'expiresAt' | 'createdBy'>;

export interface KeyFilter {
  scope?: KeyScope;
  owner?: string;
  /** Substring of the name. */
  name?: string;
  /** Non-admins: system and pack keys, and the user keys of this identity only. */
  visibleToIdentity?: number;
}

/** What one principal may read: system keys, one pack's keys, one identity's keys. */
export interface KeystoreView {
  packRef?: string | null;
  identity?: number | null;
}

// Expired keys are never returned, whether or not the sweep has deleted them yet.
const LIVE = `(expires_at IS NULL OR expires_at > now())`;

function fromRow(r: Row): KeyRecord {
  return {
    id: Number(r.id),
    name: r.name as string,
    scope: r.scope as KeyScope,
    owner: r.owner as string,
    ownerIdentity: nullableNumber(r.owner_identity),
    encrypted: r.encrypted as boolean,
    value: r.value ?? null,
    encryptedValue: (r.encrypted_value as string | null) ?? null,
    expiresAt: (r.expires_at as Date | null) ?? null,
    createdBy: (r.created_by as string | null) ?? null,
    created: r.created as Date,
    updated: r.updated as Date,
  };
}

/** The datastore's keys (written by the api; the executor reads them for templates). */
@Injectable()
export class KeyRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** Inserts a key; a live key at the same address is a unique violation (an expired one is replaced). */
  async create(k: KeyWrite): Promise<KeyRecord> {
    return this.ds.transaction(async (em) => {
      await em.query(`DELETE FROM keys WHERE scope = $1 AND owner = $2 AND name = $3 AND NOT ${LIVE}`, [k.scope, k.owner, k.name]);
      const rows: Row[] = await em.query(
        `INSERT INTO keys (name, scope, owner, owner_identity, encrypted, value, encrypted_value, expires_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
        this.params(k),
      );
      return fromRow(rows[0]);
    });
  }

  /** Creates the key or replaces its value, encryption and expiry (an expired one counts as absent). */
  async upsert(k: KeyWrite): Promise<{ key: KeyRecord; created: boolean }> {
    const rows: Row[] = await this.ds.query(
      `INSERT INTO keys (name, scope, owner, owner_identity, encrypted, value, encrypted_value, expires_at, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (scope, owner, name) DO UPDATE SET
         encrypted = EXCLUDED.encrypted, value = EXCLUDED.value, encrypted_value = EXCLUDED.encrypted_value,
         expires_at = EXCLUDED.expires_at, updated = now(),
         created = CASE WHEN keys.expires_at IS NOT NULL AND keys.expires_at <= now() THEN now() ELSE keys.created END,
         created_by = CASE WHEN keys.expires_at IS NOT NULL AND keys.expires_at <= now() THEN EXCLUDED.created_by ELSE keys.created_by END
       RETURNING *, (xmax = 0) AS inserted`,
      this.params(k),
    );
    return { key: fromRow(rows[0]), created: rows[0].inserted === true };
  }

  async find(a: KeyAddress): Promise<KeyRecord | null> {
    const rows: Row[] = await this.ds.query(`SELECT * FROM keys WHERE scope = $1 AND owner = $2 AND name = $3 AND ${LIVE}`, [a.scope, a.owner, a.name]);
    return rows.length ? fromRow(rows[0]) : null;
  }

  async list(filter: KeyFilter, page: number, perPage: number): Promise<{ items: KeyRecord[]; total: number }> {
    const c = new SqlConditions(LIVE);
    if (filter.scope) c.add((p) => `scope = ${p}`, filter.scope);
    if (filter.owner !== undefined) c.add((p) => `owner = ${p}`, filter.owner);
    if (filter.name) c.add((p) => `strpos(name, ${p}) > 0`, filter.name);
    if (filter.visibleToIdentity !== undefined) c.add((p) => `(scope <> 'user' OR owner_identity = ${p})`, filter.visibleToIdentity);
    const { rows, total } = await selectPage((sql, params) => this.ds.query(sql, params), 'keys', c, 'scope, owner, name', page, perPage);
    return { items: rows.map(fromRow), total };
  }

  /** Every live key one principal may read (see KeystoreView), for templates and execution tokens. */
  async findVisible(view: KeystoreView): Promise<KeyRecord[]> {
    const rows: Row[] = await this.ds.query(
      `SELECT * FROM keys WHERE ${LIVE} AND (scope = 'system'
          OR (scope = 'pack' AND owner = $1) OR (scope = 'user' AND owner_identity = $2))
        ORDER BY scope, name`,
      [view.packRef ?? null, view.identity ?? null],
    );
    return rows.map(fromRow);
  }

  async delete(a: KeyAddress): Promise<boolean> {
    const rows = rowsOf(
      await this.ds.query(`DELETE FROM keys WHERE scope = $1 AND owner = $2 AND name = $3 AND ${LIVE} RETURNING id`, [a.scope, a.owner, a.name]),
    );
    return rows.length > 0;
  }

  /** Deletes expired keys (they are already invisible); answers how many. */
  async deleteExpired(limit = 1000): Promise<number> {
    const rows = rowsOf(
      await this.ds.query(
        `DELETE FROM keys WHERE id IN (SELECT id FROM keys WHERE expires_at <= now() ORDER BY expires_at LIMIT $1) RETURNING id`,
        [limit],
      ),
    );
    return rows.length;
  }

  private params(k: KeyWrite): unknown[] {
    return [
      k.name,
      k.scope,
      k.owner,
      k.ownerIdentity,
      k.encrypted,
      k.encrypted ? null : JSON.stringify(k.value ?? null),
      k.encrypted ? k.encryptedValue : null,
      k.expiresAt,
      k.createdBy,
    ];
  }
}
