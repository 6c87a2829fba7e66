import { type ApiKey, type CreatedApiKey, ROLES as ROLE_NAMES } from '@attune/api-client';
import type { Command } from 'commander';
import type { CliContext } from '../cli-context';
import { usageError } from '../errors/exit-codes';
import { formatDate } from '../output/format';
import { CREATED_COLUMN, ID_COLUMN } from './columns';
import { idArgument, type JsonOpt, withJson } from './common';
import { addList, type Resource } from './resource';

const ROLES: readonly string[] = ROLE_NAMES;
const UNIT_SECONDS: Record<string, number> = { m: 60, h: 3600, d: 86400 };

/** "30d", "12h", "90m" or plain seconds. */
export function parseExpiry(value: string): number {
  const m = /^(\d+)([mhd]?)$/.exec(value.trim());
  if (!m || Number(m[1]) < 1) throw usageError(`--expires-in must be like 30d, 12h, 90m or a number of seconds, not "${value}"`);
  return Number(m[1]) * (m[2] ? UNIT_SECONDS[m[2]] : 1);
}

export const API_KEYS: Resource<ApiKey> = {
  path: '/api/v1/api-keys',
  noun: 'API key',
  key: 'id',
  columns: [
    ID_COLUMN,
    { header: 'NAME', value: (k) => k.name },
    { header: 'PREFIX', value: (k) => k.prefix },
    { header: 'ROLE', value: (k) => k.role ?? '(owner\'s)' },
    CREATED_COLUMN,
    { header: 'LAST USED', value: (k) => formatDate(k.last_used) },
    { header: 'EXPIRES', value: (k) => (k.expires_at ? formatDate(k.expires_at) : 'never') },
  ],
  fields: (k) => [
    ['Key', k.id],
    ['Name', k.name],
    ['Prefix', k.prefix],
    ['Role', k.role ?? 'as its owner'],
    ['Owner', k.owner],
    ['Created', formatDate(k.created)],
    ['Expires', k.expires_at ? formatDate(k.expires_at) : 'never'],
  ],
};

/**
 * `attune api-key` (alias `apikey`, as StackStorm names it). `attune key` is the datastore
 * (/api/v1/keys), as in Attune's own CLI.
 */
export function registerApiKeyCommands(program: Command, ctx: CliContext): void {
  const key = program
    .command('api-key')
    .alias('apikey')
    .description('API keys for scripts and CI: create, list and revoke them (use one as ATTUNE_TOKEN)');

  withJson(
    key
      .command('create')
      .description('Create an API key; it is printed once, so keep it now')
      .argument('<name>', 'what the key is for, e.g. ci-deploy')
      .option('--role <role>', `the most it may do (${ROLES.join(', ')}; default: your roles)`)
      .option('--expires-in <duration>', 'stop working after this long: 30d, 12h, 90m or seconds (default: never)', parseExpiry),
  )
    .addHelpText('after', '\nExample:\n  export ATTUNE_URL=http://localhost:8080 ATTUNE_TOKEN=$(attune api-key create ci --role operator --json | jq -r .key)')
    .action(async (name: string, o: JsonOpt & { role?: string; expiresIn?: number }) => {
      if (o.role && !ROLES.includes(o.role)) throw usageError(`--role must be one of ${ROLES.join(', ')}`);
      const created = await ctx.api.data<CreatedApiKey>('POST', API_KEYS.path, { json: { name, role: o.role, expires_in: o.expiresIn } });
      const out = ctx.output(o);
      out.result(created, () => `${created.key}\n`);
      out.hint(`API key ${created.id} (${created.name}) created. This is the only time it is shown: store it now.\nUse it with: ATTUNE_URL=${await ctx.api.serverUrl()} ATTUNE_TOKEN=<key> attune …`);
    });

  addList(key, ctx, API_KEYS, { description: 'List your API keys (never their secrets)' });

  withJson(key.command('revoke').description('Revoke an API key: it stops working at once').addArgument(idArgument('API key id', 'API key id (see `attune api-key list`)'))).action(
    async (id: number, o: JsonOpt) => {
      await ctx.api.request('DELETE', `${API_KEYS.path}/${id}`);
      ctx.output(o).result({ revoked: true, id }, () => `API key ${id} revoked.\n`);
    },
  );
}
