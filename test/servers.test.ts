/**
 * No server outlives the process that started it: the tests, the simulator and the main job start the Java
 * test server and the dev server through a shell that stops them when their parent ends, however it ends.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const fixture = join(__dirname, 'fixtures', 'servers', 'start-and-wait.ts');

function serverPids(port: string): string[] {
  const found = spawnSync('pgrep', ['-f', `(TestServer|start-dev.*--port) ${port}( |$)`], { encoding: 'utf8' });
  return found.stdout.split('\n').filter(Boolean);
}

async function startThenKill(kind: 'test' | 'dev', signal: NodeJS.Signals): Promise<{ before: string[]; after: string[] }> {
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', fixture, kind], { stdio: ['ignore', 'pipe', 'inherit'] });
  const address = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => resolve(d.toString().trim()));
    child.once('exit', (code) => reject(new Error(`fixture exited with ${code} before the server was ready`)));
  });
  const port = address.split(':').pop() ?? '';
  const before = serverPids(port);
  child.kill(signal);
  const deadline = Date.now() + 20_000;
  let after = serverPids(port);
  while (after.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    after = serverPids(port);
  }
  return { before, after };
}

describe('servers end with the process that started them', () => {
  for (const [kind, signal] of [
    ['test', 'SIGKILL'],
    ['test', 'SIGINT'],
    ['dev', 'SIGKILL'],
  ] as const) {
    it(`${kind} server, parent ended by ${signal}`, async () => {
      const { before, after } = await startThenKill(kind, signal);
      expect(before.length).toBeGreaterThan(0);
      expect(after).toEqual([]);
    }, 90_000);
  }
});
