/**
 * Every subcommand answers --help with its own usage, in Chinese and English, and exits 0 without doing anything
 * else (issue #26): `duban reply --help` and `duban calendar --help` failed with 「Unknown option '--help'」.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { commandHelp } from '../cli/help';
import { commands } from '../cli/main';

const run = promisify(execFile);
const REPO = join(__dirname, '..');

describe('duban <command> --help', () => {
  it('every command the dispatcher knows has its usage in the one help text', () => {
    for (const name of Object.keys(commands)) expect(commandHelp(name), name).toBeDefined();
  });

  it.each(Object.keys(commands))('duban %s --help prints its own usage in Chinese and English and exits 0', async (name) => {
    const { stdout } = await run(process.execPath, [join(REPO, 'bin', 'duban.js'), name, '--help'], { cwd: REPO, env: { ...process.env, DUBAN_DATA_DIR: join(REPO, 'data-help-never-written') } });
    expect(stdout).toContain(`  ${name}`);
    expect(stdout).toMatch(/[\u4e00-\u9fff]/);
    expect(stdout).toMatch(/[A-Za-z]{4,} [a-z]{2,}/);
  });
});
