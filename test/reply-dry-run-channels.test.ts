/**
 * `duban reply --dry-run --channel email` reads a reply as the mailbox reader does (issue #25): the quoted thread
 * below the person's own words is not read as the command.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const REPO = join(__dirname, '..');
const dry = async (...args: string[]) =>
  JSON.parse((await run(process.execPath, [join(REPO, 'bin', 'duban.js'), 'reply', '--dry-run', '--json', '--year', '2022', '--at', '2022-05-06T10:00:00+08:00', '--from', '彭玉芳（虚构）', ...args], { cwd: REPO })).stdout) as {
    intent: string;
  };

describe('duban reply --dry-run --channel', () => {
  it('an email reply 「好的」 above our quoted 「完成 4」 completes nothing', async () => {
    const mail = '好的\\n\\n在 2022年5月6日 09:00，大竹督办 写道：\\n> 【今日督办】任务4 请回复「完成 4 情况说明」';
    expect((await dry('--channel', 'email', mail)).intent).not.toBe('complete');
    // Read as chat, the quoted lines are words like any other: the difference is the channel.
    expect((await dry(mail)).intent).toBe('complete');
  });
  it('a WeChat quote-reply typed on one line is read below the dashed line', async () => {
    expect((await dry('「大竹督办：请回复「完成 4 情况说明」」\\n- - - - - - - - - - - - - - -\\n收到')).intent).toBe('acknowledge');
  });
});
