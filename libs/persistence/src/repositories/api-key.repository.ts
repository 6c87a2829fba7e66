import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { type Row, rowsOf } from './rows';

export interface ApiKey {
  id: number;
  identityId: number;
  /** The owner's login (joined; null only if the owner vanished between two statements). */
  login: string | null;
  name: string;
  /** The key's first characters, shown in lists to tell keys apart. */
  prefix: string;
  /** The most the key may do; null means "as its owner". */
  role: string | null;
  expiresAt: Date | null;
  lastUsed: Date | null;
  revokedAt: Date | null;
  created: Date;
}

export interface NewApiKey {
  identityId: number;
  name: string;
  prefix: string;
  keyHash: string;
  role: string | null;
  expiresAt: Date | null;
}

function fromRow(r: Row): ApiKey {
  return {
    id: Number(r.id),
    identityId: Number(r.identity_id),
    login: (r.login as string | undefined) ?? null,
    name: r.name as string,
    prefix: r.prefix as string,
    role: (r.role as string | null) ?? null,
    expiresAt: (r.expires_at as Date | null) ?? null,
    lastUsed: (r.last_used as Date | null) ?? null,
    revokedAt: (r.revoked_at as Date | null) ?? null,
    created: r.created as Date,
  };
}

const SELECT = `SELECT k.*, i.login FROM api_keys k LEFT JOIN identities i ON i.id = k.identity_id`;

/** The api's record of API keys (table api_keys, written by the api only). Only hashes are stored. */
@Injectable()
export class ApiKeyRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async create(input: NewApiKey): Promise<ApiKey> {
    const [row] = rowsOf(
      await this.ds.query(
        `INSERT INTO api_keys (identity_id, name, prefix, key_hash, role, expires_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
        [input.identityId, input.name, input.prefix, input.keyHash, input.role, input.expiresAt],
      ),
    );
    return (await this.findById(Number(row.id))) as ApiKey;
  }

  async findById(id: number): Promise<ApiKey | null> {
    const rows = rowsOf(await this.ds.query(`${SELECT} WHERE k.id = $1`, [id]));
    return rows.length ? fromRow(rows[0]) : null;
  }

  /** The key with this hash if it is neither revoked nor expired. */
  async findUsable(keyHash: string): Promise<ApiKey | null> {
    const rows = rowsOf(
      await this.ds.query(`${SELECT} WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())`, [keyHash]),
    );
    return rows.length ? fromRow(rows[0]) : null;
  }

  /** Keys not revoked, newest first; of one identity, or of everyone when `identityId` is undefined. */
  async list(identityId: number | undefined, page: number, perPage: number): Promise<{ items: ApiKey[]; total: number }> {
    const where = `WHERE k.revoked_at IS NULL${identityId === undefined ? '' : ' AND k.identity_id = $1'}`;
    const params: unknown[] = identityId === undefined ? [] : [identityId];
    const [{ count }] = rowsOf(await this.ds.query(`SELECT count(*)::bigint AS count FROM api_keys k ${where}`, params));
    const rows = rowsOf(
      await this.ds.query(`${SELECT} ${where} ORDER BY k.created DESC, k.id DESC LIMIT ${perPage} OFFSET ${(page - 1) * perPage}`, params),
    );
    return { items: rows.map(fromRow), total: Number(count) };
  }

  /** Marks the key revoked; false when there is no such key or it was revoked already. */
  async revoke(id: number): Promise<boolean> {
    return rowsOf(await this.ds.query(`UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING id`, [id])).length > 0;
  }

  /**
   * Records a use. Written at most once a minute per key, so a busy script does not turn every
   * request into a row update.
   */
  async touch(id: number): Promise<void> {
    await this.ds.query(`UPDATE api_keys SET last_used = now() WHERE id = $1 AND (last_used IS NULL OR last_used < now() - interval '1 minute')`, [id]);
  }
}
