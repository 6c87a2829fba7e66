// The spawner: a small process the worker forks once, which starts every action process for it.
// Starting a process forks its parent; forking this small process instead of the large worker
// costs a fraction of the time and CPU (docs/benchmarks.md). It imports nothing of the worker and
// lives exactly as long as its IPC channel: when the worker goes, it goes.
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { SpawnerReply, SpawnRequest } from './protocol';

const send = (reply: SpawnerReply) => process.send?.(reply);

function start(req: SpawnRequest): void {
  const fds: number[] = [];
  try {
    fds.push(openSync(req.stdoutPath, 'r+'), openSync(req.stderrPath, 'r+'));
    const child = spawn(req.command, req.args, {
      cwd: req.cwd,
      env: req.env,
      detached: true,
      stdio: ['pipe', fds[0], fds[1]],
      // libuv drops the supplementary groups (setgroups(0)) before setgid/setuid.
      ...(req.uid !== undefined && req.gid !== undefined ? { uid: req.uid, gid: req.gid } : {}),
    });
    let failed = false;
    child.on('error', (err) => {
      failed = true;
      send({ op: 'failed', id: req.id, error: err.message });
    });
    child.on('exit', (code, signal) => {
      if (!failed) send({ op: 'exited', id: req.id, code, signal });
    });
    if (child.pid !== undefined) send({ op: 'spawned', id: req.id, pid: child.pid });
    // A process that exits without reading stdin makes the write fail with EPIPE: harmless.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(req.stdin);
  } catch (err) {
    send({ op: 'failed', id: req.id, error: (err as Error).message });
  } finally {
    // The child holds its own copies now.
    for (const fd of fds) closeSync(fd);
  }
}

process.on('message', (msg: SpawnRequest) => {
  if (msg?.op === 'spawn') start(msg);
});
process.on('disconnect', () => process.exit(0));
