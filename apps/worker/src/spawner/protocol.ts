/**
 * The messages between the worker and its spawner process (see Spawner). One request per
 * process to start; the spawner answers `spawned` (or `failed`), then `exited` once it ends.
 */
export interface SpawnRequest {
  op: 'spawn';
  id: number;
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** Written to the process's stdin, which is then closed. */
  stdin: string;
  /** Files the process writes its stdout and stderr to (opened for writing, not truncated). */
  stdoutPath: string;
  stderrPath: string;
  uid?: number;
  gid?: number;
}

export type SpawnerReply =
  | { op: 'spawned'; id: number; pid: number }
  | { op: 'failed'; id: number; error: string }
  | { op: 'exited'; id: number; code: number | null; signal: NodeJS.Signals | null };
