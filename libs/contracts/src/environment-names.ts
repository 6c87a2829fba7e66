/**
 * Which environment variables a request may set for an action's process (`env_vars`), and under
 * which plain names parameters are exported. Shared by the api (it refuses with 422) and the
 * worker (it drops the same names again, in case a dispatch did not come through the api).
 *
 * A variable is refused when it changes how an interpreter, the shell, the dynamic loader or the
 * C library starts, where network traffic goes, whom TLS trusts, or what the platform itself sets.
 */

/** An `env_vars` name: capitals, digits and underscores, not starting with a digit. */
export const ENV_VAR_NAME = /^[A-Z_][A-Z0-9_]*$/;

const DENIED_NAMES = new Set([
  // Set by the platform for every process.
  'PATH', 'HOME', 'PWD', 'OLDPWD', 'TMPDIR', 'TMP', 'TEMP', 'USER', 'LOGNAME', 'SHELL',
  // Shells: startup files, options, word splitting, prompts evaluated as code.
  'ENV', 'BASH_ENV', 'SHELLOPTS', 'BASHOPTS', 'IFS', 'CDPATH', 'GLOBIGNORE', 'PS4', 'PROMPT_COMMAND', 'FPATH', 'ZDOTDIR',
  'HISTFILE', 'INPUTRC', 'POSIXLY_CORRECT',
  // Interpreters and runtimes.
  'NODE_OPTIONS', 'NODE_PATH', 'NODE_EXTRA_CA_CERTS', 'NODE_TLS_REJECT_UNAUTHORIZED', 'NODE_V8_COVERAGE', 'NODE_ICU_DATA',
  'NODE_REPL_EXTERNAL_MODULE', 'NODE_COMPILE_CACHE', 'UV_THREADPOOL_SIZE',
  'RUBYOPT', 'RUBYLIB', 'GEM_HOME', 'GEM_PATH', 'PERLLIB', 'PERLIO', 'PERLDB_OPTS',
  'JAVA_TOOL_OPTIONS', '_JAVA_OPTIONS', 'JDK_JAVA_OPTIONS', 'CLASSPATH', 'LUA_INIT', 'LUA_PATH', 'LUA_CPATH', 'TCLLIBPATH',
  'PHPRC', 'PHP_INI_SCAN_DIR', 'R_PROFILE', 'R_PROFILE_USER', 'R_ENVIRON', 'R_ENVIRON_USER',
  // The C library and the loader.
  'GCONV_PATH', 'GLIBC_TUNABLES', 'LOCPATH', 'NLSPATH', 'HOSTALIASES', 'LOCALDOMAIN', 'RES_OPTIONS', 'RESOLV_HOST_CONF',
  'MALLOC_CHECK_', 'MALLOC_PERTURB_', 'TZDIR',
  // TLS trust and key logging.
  'OPENSSL_CONF', 'OPENSSL_ENGINES', 'OPENSSL_MODULES', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'SSLKEYLOGFILE', 'CURL_CA_BUNDLE',
  'REQUESTS_CA_BUNDLE', 'CURL_HOME', 'WGETRC',
  // Proxies (curl also reads the lowercase spellings, which fail the name pattern anyway).
  'HTTP_PROXY', 'HTTPS_PROXY', 'FTP_PROXY', 'ALL_PROXY', 'NO_PROXY', 'GRPC_PROXY', 'RSYNC_PROXY', 'SOCKS_PROXY', 'SOCKS5_PROXY',
  // Programs other tools start.
  'EDITOR', 'VISUAL', 'PAGER', 'MANPAGER', 'LESSOPEN', 'LESSCLOSE', 'SSH_ASKPASS', 'SUDO_ASKPASS', 'BROWSER',
  'GIT_SSH', 'GIT_SSH_COMMAND', 'GIT_ASKPASS', 'GIT_EXEC_PATH', 'GIT_PROXY_COMMAND', 'GIT_EXTERNAL_DIFF', 'GIT_EDITOR',
  'GIT_PAGER', 'GIT_TEMPLATE_DIR', 'GIT_DIR', 'GIT_WORK_TREE',
]);

/** Prefixes of whole families: the loader's, interpreters' option families, the platform's own. */
const DENIED_PREFIXES = ['ATTUNE_', 'PARAM_', 'LD_', 'DYLD_', 'PYTHON', 'PERL5', 'BASH_', 'GIT_CONFIG', 'NPM_CONFIG_', 'PIP_', 'GCONV_'];

/**
 * Why `name` may not be set for an action's process, or undefined when it may. Compared in
 * capitals, so `http_proxy` or `path` as a parameter name is treated like its capital form.
 */
export function protectedEnvNameReason(name: string): string | undefined {
  const upper = name.toUpperCase();
  if (DENIED_NAMES.has(upper)) return `${upper} changes how the process starts or is set by the platform`;
  const prefix = DENIED_PREFIXES.find((p) => upper.startsWith(p));
  if (prefix) return `${prefix}* variables change how the process starts or are set by the platform`;
  return undefined;
}

/** The 422 details for an `env_vars` object: one per refused name or value. */
export function envVarProblems(env: Record<string, unknown>, field = 'env_vars'): { field: string; message: string }[] {
  return Object.entries(env).flatMap(([name, value]) => {
    const at = `${field}.${name}`;
    if (!ENV_VAR_NAME.test(name)) return [{ field: at, message: 'is not a valid environment variable name: use capitals, digits and _ (^[A-Z_][A-Z0-9_]*$)' }];
    const reason = protectedEnvNameReason(name);
    if (reason) return [{ field: at, message: `may not be set: ${reason}` }];
    if (typeof value !== 'string') return [{ field: at, message: 'must be a string' }];
    if (value.includes('\0')) return [{ field: at, message: 'may not contain a NUL character' }];
    return [];
  });
}
