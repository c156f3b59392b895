/**
 * A directory uploaded on the dashboard reaches the running worker without a restart (issue #24): the worker's
 * activities hold a live directory (plan/directory-live.ts) that reads data/directory.yaml again when it changes.
 * What a coordinator notices: the next reminder goes to the address of the directory just uploaded. A spoiled
 * file changes nothing: the reminder still goes to the last good address, and the operator's log says why, once.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { createActivities } from '../activities';
import type { EmailSender } from '../channels/email';
import { SEED_DIRECTORY } from '../cli/campaign-input';
import { DirectoryStore } from '../dashboard/directory-page';
import { DirectoryFile, directorySource, liveDirectory } from '../plan/directory-live';
import type { PlanFileError } from '../plan/errors';
import { loadDirectory } from '../plan/files';
import type { OutgoingMessage } from '../workflows/types';

const OLD = 'u04.coordinator@example.org';
const NEW = 'zhou.new@example.org';

function recordingEmail(): { email: EmailSender; sent: string[][] } {
  const sent: string[][] = [];
  return {
    sent,
    email: {
      send: async (_msg, to) => {
        sent.push(to);
        return { channel: 'email', accepted: to, rejected: [] };
      },
      close: () => undefined,
    },
  };
}

let n = 0;
const reminder = (): OutgoingMessage => ({
  key: `live-directory/${++n}`,
  kind: 'reminder',
  toUnits: ['县民政局'],
  recipients: [{ unit: '县民政局', role: 'coordinators' }],
  level: 'blue',
  at: Date.parse('2029-05-30T09:00+08:00'),
  subject: '【督办】[任务1] 测试 · 5月31日截止',
  text: '测试',
});

describe('a running worker and a directory uploaded on the dashboard', () => {
  it('sends the next reminder to the uploaded directory’s address, and keeps the last good one while the file is spoiled', async () => {
    const data = mkdtempSync(join(tmpdir(), 'duban-live-dir-'));
    const invalid: PlanFileError[] = [];
    const reloaded: string[] = [];
    // As cli/main.ts builds it for `npm start` (no throttle here: the test changes the file between two messages).
    const file = new DirectoryFile(() => directorySource(data, SEED_DIRECTORY), { onInvalid: (e) => invalid.push(e), onReload: (f) => reloaded.push(f) });
    const mail = recordingEmail();
    const { notify } = createActivities({ email: mail.email, directory: liveDirectory(file) });

    await notify(reminder());
    expect(mail.sent.at(-1)).toEqual([OLD]);

    // The clerk uploads a directory with the coordinator's new address (the desk's own store writes data/directory.yaml).
    const seed = loadDirectory(SEED_DIRECTORY);
    const changed = structuredClone(seed);
    changed.units['县民政局']!.coordinators[0]!.email = NEW;
    const store = new DirectoryStore(join(data, 'directory.yaml'), SEED_DIRECTORY);
    const upload = store.replace({ field: 'file', filename: '通讯录.yaml', bytes: Buffer.from(stringify(changed)) }, Date.parse('2029-05-30T10:00+08:00'));
    expect(upload.ok).toBe(true);
    await notify(reminder());
    expect(mail.sent.at(-1)).toEqual([NEW]);
    expect(reloaded).toEqual([join(data, 'directory.yaml')]);

    // Someone spoils the file by hand: the reminder still goes, to the last good address; the log says why, once.
    writeFileSync(join(data, 'directory.yaml'), 'units:\n  县民政局: [\n');
    await notify(reminder());
    await notify(reminder());
    expect(mail.sent.at(-1)).toEqual([NEW]);
    expect(invalid).toHaveLength(1);
    expect(invalid[0]?.message).toContain('directory.yaml 第 3 行');
    expect(file.problem?.code).toBe('BAD_YAML');

    // Corrected again: in use at once, and no longer reported.
    const fixed = structuredClone(changed);
    fixed.units['县民政局']!.coordinators[0]!.email = 'zhou.fixed@example.org';
    writeFileSync(join(data, 'directory.yaml'), stringify(fixed));
    await notify(reminder());
    expect(mail.sent.at(-1)).toEqual(['zhou.fixed@example.org']);
    expect(file.problem).toBeUndefined();
  });

  it('refuses to start on a file that was never good, naming the file and the place', () => {
    const data = mkdtempSync(join(tmpdir(), 'duban-live-dir-'));
    writeFileSync(join(data, 'directory.yaml'), 'units: {\n');
    expect(() => liveDirectory(new DirectoryFile(() => directorySource(data, SEED_DIRECTORY)))).toThrow(/directory\.yaml 第 2 行第 1 列 \(line 2, column 1\): YAML 格式错误/);
  });

  it('looks at the file at most once per interval (a city’s morning reads the directory for every recipient)', () => {
    const data = mkdtempSync(join(tmpdir(), 'duban-live-dir-'));
    let now = 0;
    const file = new DirectoryFile(() => directorySource(data, SEED_DIRECTORY), { checkEveryMs: 1_000, now: () => now });
    const dir = liveDirectory(file);
    expect(dir.units['县民政局']?.coordinators[0]?.email).toBe(OLD);
    const changed = loadDirectory(SEED_DIRECTORY);
    changed.units['县民政局']!.coordinators[0]!.email = NEW;
    writeFileSync(join(data, 'directory.yaml'), stringify(changed));
    now = 999;
    expect(dir.units['县民政局']?.coordinators[0]?.email).toBe(OLD);
    now = 1_000;
    expect(dir.units['县民政局']?.coordinators[0]?.email).toBe(NEW);
    // It reads as a plain directory: keys, JSON (a campaign's input is built from it).
    expect(Object.keys(dir)).toEqual(Object.keys(changed));
    expect(JSON.parse(JSON.stringify(dir))).toEqual(JSON.parse(JSON.stringify(changed)));
  });
});
