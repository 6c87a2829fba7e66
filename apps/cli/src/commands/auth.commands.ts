import type { Me } from '@attune/api-client';
import type { Command } from 'commander';
import type { CliContext } from '../cli-context';
import { usageError } from '../errors/exit-codes';
import { normalizeServerUrl } from '../http/api-client';
import { type JsonOpt, withJson } from './common';

const DEFAULT_URL = 'http://localhost:8080';

interface LoginOpts extends JsonOpt {
  url?: string;
  username?: string;
  password?: string;
}

export function registerAuthCommands(program: Command, ctx: CliContext): void {
  withJson(
    program
      .command('login')
      .description('Sign in to an Attune server and remember it (asks for what the options do not give)')
      .option('--url <url>', `server URL (default: the last one used, else ${DEFAULT_URL})`)
      .option('-u, --username <login>', 'login (e-mail address or user name)')
      .option('-p, --password <password>', 'password; prefer ATTUNE_PASSWORD, which stays out of the shell history'),
  )
    .addHelpText('after', '\nExample:\n  ATTUNE_PASSWORD=… attune login --url http://localhost:8080 --username test@attune.local')
    .action(async (opts: LoginOpts) => {
      const saved = await ctx.store.load();
      const fallbackUrl = saved.url ?? DEFAULT_URL;
      const url = normalizeServerUrl(opts.url ?? ((await ctx.prompter.ask(`Server URL [${fallbackUrl}]: `))?.trim() || fallbackUrl));
      const username = opts.username ?? (await ctx.prompter.ask(saved.login ? `Login [${saved.login}]: ` : 'Login: '))?.trim() ?? undefined;
      const login = username || saved.login;
      if (!login) throw usageError('a login is needed: give --username (or answer the prompt)');
      const password = opts.password ?? ctx.env.password ?? (await ctx.prompter.ask('Password: ', true));
      if (!password) throw usageError('a password is needed: give --password, set ATTUNE_PASSWORD, or answer the prompt');
      const tokens = await ctx.api.login(url, login, password);
      ctx.output(opts).result({ url, user: tokens.user, config: ctx.store.path }, () => `Logged in to ${url} as ${tokens.user.login}.\n`);
    });

  withJson(program.command('logout').description('Forget the stored tokens (the server URL is kept as the default for the next login)')).action(
    async (opts: JsonOpt) => {
      const before = await ctx.store.load();
      const was = !!(before.access_token || before.refresh_token);
      if (was) await ctx.api.logout();
      ctx.output(opts).result({ logged_out: was, url: before.url ?? null }, () => (was ? `Logged out of ${before.url}.\n` : 'Not logged in.\n'));
    },
  );

  withJson(program.command('whoami').description('Show the signed-in user, their roles and the server')).action(async (opts: JsonOpt) => {
    const me = await ctx.api.get<Me>('/auth/me');
    const url = await ctx.api.serverUrl();
    ctx.output(opts).fields({ ...me, url }, [
      ['Login', me.login],
      ['Name', me.display_name],
      ['Roles', me.roles.join(', ')],
      ['Server', url],
    ]);
  });
}
