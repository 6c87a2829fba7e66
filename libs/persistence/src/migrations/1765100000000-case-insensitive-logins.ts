import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Logins are unique regardless of case: `Foo@x` and `foo@x` are one login. Existing accounts that
 * differ only in case keep working in one piece: the oldest keeps its login, and each later one is
 * renamed to `<login>#<id>` (a name no one can register, since `#` is not allowed in logins) and
 * deactivated, so an administrator decides what becomes of it (PUT /api/v1/users/{id}). Its
 * executions and history stay attached to its id.
 */
export class CaseInsensitiveLogins1765100000000 implements MigrationInterface {
  name = 'CaseInsensitiveLogins1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      UPDATE identities i SET login = i.login || '#' || i.id, is_active = false
      FROM (SELECT id, row_number() OVER (PARTITION BY lower(login) ORDER BY id) AS n FROM identities) d
      WHERE d.id = i.id AND d.n > 1`);
    await q.query(`CREATE UNIQUE INDEX identities_login_lower_idx ON identities (lower(login))`);
  }

  async down(q: QueryRunner): Promise<void> {
    // Renamed duplicates keep their new logins: which of them was which before is not recorded.
    await q.query(`DROP INDEX identities_login_lower_idx`);
  }
}
