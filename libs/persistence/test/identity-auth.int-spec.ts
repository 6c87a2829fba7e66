import type { INestApplicationContext } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { CaseInsensitiveLogins1765100000000 } from '../src/migrations/1765100000000-case-insensitive-logins';
import { IdentityRepository } from '../src/repositories/identity.repository';
import { RefreshTokenRepository } from '../src/repositories/refresh-token.repository';
import { openRepositories } from './support';

let app: INestApplicationContext;
let identities: IdentityRepository;
let refresh: RefreshTokenRepository;
const suffix = randomUUID().slice(0, 8);

beforeAll(async () => {
  app = await openRepositories([IdentityRepository, RefreshTokenRepository]);
  identities = app.get(IdentityRepository);
  refresh = app.get(RefreshTokenRepository);
});

afterAll(async () => {
  await app?.close();
});

const newIdentity = (login: string) => ({ login, displayName: null, passwordHash: 'x', roles: ['viewer'] });

describe('case-insensitive logins', () => {
  it('finds a login whatever its case, and refuses one that differs only in case', async () => {
    const made = await identities.create(newIdentity(`Mixed.${suffix}@Example.com`));
    expect(made).not.toBeNull();
    expect((await identities.findByLogin(`mixed.${suffix}@example.COM`))?.id).toBe(made!.id);
    expect(await identities.create(newIdentity(`MIXED.${suffix}@EXAMPLE.COM`))).toBeNull();
    expect((await identities.ensure(newIdentity(`mixed.${suffix}@example.com`))).id).toBe(made!.id);
  });

  it('migrates existing duplicates: the oldest keeps its login, later ones are renamed and deactivated', async () => {
    // In a transaction that is rolled back: the migration's down and up run on the shared test database.
    const runner = app.get(DataSource).createQueryRunner();
    await runner.startTransaction();
    try {
      const migration = new CaseInsensitiveLogins1765100000000();
      await migration.down(runner);
      const insert = async (login: string) =>
        (await runner.query(`INSERT INTO identities (login, password_hash) VALUES ($1, 'x') RETURNING id`, [login]))[0].id as number;
      const first = await insert(`dup.${suffix}@x`);
      const second = await insert(`Dup.${suffix}@X`);
      const third = await insert(`DUP.${suffix}@x`);
      await migration.up(runner);
      const rows = await runner.query(`SELECT id, login, is_active FROM identities WHERE id = ANY($1) ORDER BY id`, [[first, second, third]]);
      expect(rows).toEqual([
        { id: first, login: `dup.${suffix}@x`, is_active: true },
        { id: second, login: `Dup.${suffix}@X#${second}`, is_active: false },
        { id: third, login: `DUP.${suffix}@x#${third}`, is_active: false },
      ]);
      await expect(runner.query(`INSERT INTO identities (login, password_hash) VALUES ($1, 'x')`, [`DUP.${suffix}@X`])).rejects.toThrow(
        /identities_login_lower_idx/,
      );
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
  });
});

describe('refresh tokens', () => {
  it('are spent once; a spent one presented again revokes its family; revocation covers the family', async () => {
    const who = (await identities.create(newIdentity(`refresh.${suffix}`)))!;
    const family = randomUUID();
    const later = new Date(Date.now() + 60_000);
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    await refresh.record(a, who.id, family, later);
    expect(await refresh.spend(a)).toEqual({ identityId: who.id, family });
    await refresh.record(b, who.id, family, later);
    expect(await refresh.spend(a)).toBe('reused');
    expect(await refresh.spend(b)).toBe('unknown'); // revoked with its family
    expect(await refresh.spend(randomUUID())).toBe('unknown');

    const other = randomUUID();
    await refresh.record(c, who.id, other, later);
    expect(await refresh.revokeFamilyOf(c)).toBe(true);
    expect(await refresh.spend(c)).toBe('unknown');
    expect(await refresh.revokeFamilyOf(randomUUID())).toBe(false);

    const expired = randomUUID();
    await refresh.record(expired, who.id, randomUUID(), new Date(Date.now() - 1000));
    expect(await refresh.spend(expired)).toBe('unknown');
  });
});
