import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

export type RefreshSpend = { identityId: number; family: string } | 'reused' | 'unknown';

/** The api's record of refresh tokens (table refresh_tokens, written by the api only). */
@Injectable()
export class RefreshTokenRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** Records a newly issued token; the identity's expired ones are dropped on the way. */
  async record(jti: string, identityId: number, family: string, expiresAt: Date): Promise<void> {
    await this.ds.query(`DELETE FROM refresh_tokens WHERE identity_id = $1 AND expires_at < now()`, [identityId]);
    await this.ds.query(`INSERT INTO refresh_tokens (jti, identity_id, family, expires_at) VALUES ($1, $2, $3, $4)`, [
      jti,
      identityId,
      family,
      expiresAt,
    ]);
  }

  /**
   * Spends a token, once: the first caller gets its identity and family. A token already spent
   * answers 'reused' and revokes its whole family; one never issued, revoked or expired answers 'unknown'.
   */
  async spend(jti: string): Promise<RefreshSpend> {
    const [rows] = (await this.ds.query(
      `UPDATE refresh_tokens SET used_at = now()
       WHERE jti = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > now()
       RETURNING identity_id, family`,
      [jti],
    )) as [Array<{ identity_id: number; family: string }>, number];
    if (rows.length) return { identityId: Number(rows[0].identity_id), family: rows[0].family };
    const spent = (await this.ds.query(`SELECT 1 FROM refresh_tokens WHERE jti = $1 AND used_at IS NOT NULL`, [jti])) as unknown[];
    if (!spent.length) return 'unknown';
    await this.revokeFamilyOf(jti);
    return 'reused';
  }

  /** Revokes the token and every other of its family; false when it was never issued. */
  async revokeFamilyOf(jti: string): Promise<boolean> {
    const rows = (await this.ds.query(`SELECT family FROM refresh_tokens WHERE jti = $1`, [jti])) as Array<{ family: string }>;
    if (!rows.length) return false;
    await this.ds.query(`UPDATE refresh_tokens SET revoked_at = now() WHERE family = $1 AND revoked_at IS NULL`, [rows[0].family]);
    return true;
  }
}
