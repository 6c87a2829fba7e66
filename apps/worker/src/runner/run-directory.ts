import { chmodSync, chownSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunIdentity } from './run-identity';

/**
 * Where one execution lives on disk:
 *
 *   <ATTUNE_WORK_DIR>/               worker, 0711: others may pass through, not list it
 *     exec-<id>-<random>/            worker, 0711: the run directory (`root`)
 *       work/                        run uid, 0700: the action's cwd, HOME and TMPDIR (`workDir`)
 *         parameters.json            run uid, 0600
 *         artifacts/                 run uid, 0700: ATTUNE_ARTIFACTS_DIR
 *       private/                     worker, 0700: the worker's own files for this run (`privateDir`)
 *
 * The action owns only `work/`. Files the worker must keep out of the action's reach (spooled
 * output, downloads being checked) belong in `private/`: inside `work/` the action could read,
 * replace or symlink them. Names under the work root are random, and the root cannot be listed
 * by others, so one action cannot even find another's directory.
 */
export interface RunDirectory {
  root: string;
  workDir: string;
  artifactsDir: string;
  parameterFile: string;
  privateDir: string;
}

const preparedRoots = new Set<string>();

/** Creates the work root once per process, 0711 even if an older version made it 0755. */
function workRoot(path: string): void {
  if (preparedRoots.has(path)) return;
  mkdirSync(path, { recursive: true, mode: 0o711 });
  chmodSync(path, 0o711);
  preparedRoots.add(path);
}

/**
 * Makes the run directory of one execution and writes its parameter file, handing `work/` to
 * `identity` (when given: the worker is root and the action runs as its own uid).
 *
 * Synchronous calls on purpose: these are a dozen metadata operations of microseconds each on
 * local disk, and one promise and thread-pool round trip apiece cost several times their CPU.
 */
export async function prepareRunDirectory(workRootPath: string, executionId: number, identity: RunIdentity | undefined, parameters: string): Promise<RunDirectory> {
  workRoot(workRootPath);
  const root = mkdtempSync(join(workRootPath, `exec-${executionId}-`));
  chmodSync(root, 0o711);
  const dir: RunDirectory = {
    root,
    workDir: join(root, 'work'),
    artifactsDir: join(root, 'work', 'artifacts'),
    parameterFile: join(root, 'work', 'parameters.json'),
    privateDir: join(root, 'private'),
  };
  mkdirSync(dir.workDir, { mode: 0o700 });
  mkdirSync(dir.privateDir, { mode: 0o700 });
  mkdirSync(dir.artifactsDir, { mode: 0o700 });
  writeFileSync(dir.parameterFile, parameters, { mode: 0o600, flag: 'wx' });
  if (identity) {
    // Owned by the run uid only once complete, so the action never sees a half-made directory.
    for (const p of [dir.artifactsDir, dir.parameterFile, dir.workDir]) chownSync(p, identity.uid, identity.gid);
  }
  return dir;
}
