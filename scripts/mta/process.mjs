// A daemon run in the foreground as our own child, in its own process group, so stop() can end it
// and whatever it forked (deliveries, queue runners) by PID, never by name.
import { spawn } from 'node:child_process';
import { sleep } from '../../bench/lib/util.mjs';

/** Spawns `bin args` detached; returns { child, pid, output(), gone(), stop() }. */
export function spawnDaemon(bin, args, env) {
  const child = spawn(bin, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  for (const s of [child.stdout, child.stderr]) s.setEncoding('utf8').on('data', (t) => (output = (output + t).slice(-4_000)));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  const signalGroup = (sig) => { try { process.kill(-child.pid, sig); } catch { /* gone */ } };
  return {
    child, pid: child.pid, gone,
    output: () => output,
    /** SIGTERM to the group, SIGKILL after 5 s; resolves once the daemon and its children are gone. */
    async stop() {
      if (!gone()) {
        signalGroup('SIGTERM');
        const timer = setTimeout(() => signalGroup('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      for (let i = 0; i < 50 && groupAlive(child.pid); i++) await sleep(100);
    },
  };
}

function groupAlive(pgid) {
  try { process.kill(-pgid, 0); return true; } catch { return false; }
}
