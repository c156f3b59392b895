/**
 * Recorded histories of every release replay against today's workflow code: a change that would break
 * running workflows (a command changed without `patched()`) fails here. The recorded files are kept for good:
 * each one listed in test/replay/manifest.json must be there, byte for byte, and every history here must be
 * listed (`npm run record` adds a release's set).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker, type ReplayResult } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { readManifest, sha256 } from './record-histories';
import { workflowBundle } from './env';

const dir = join(__dirname, 'replay');
const files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.pb'))
  .map((f) => relative(dir, join(dir, f)).split('\\').join('/'))
  .sort();
const manifest = readManifest();

describe('recorded histories', () => {
  it('are all kept unchanged, and all listed in the manifest', () => {
    const changed = Object.entries(manifest.files).flatMap(([file, { sha256: want }]) => {
      let bytes: Buffer;
      try {
        bytes = readFileSync(join(dir, file));
      } catch {
        return [`${file}: deleted or renamed`];
      }
      return sha256(bytes) === want ? [] : [`${file}: changed`];
    });
    expect(changed, 'recorded histories are never changed, renamed or deleted').toEqual([]);
    expect(files.filter((f) => !manifest.files[f]), 'record new histories with npm run record').toEqual([]);
  });

  it('cover both workflow types in every release, and continue-as-new from 0.2.0 on', () => {
    const releases = new Set(Object.values(manifest.files).map((f) => f.release));
    expect(releases.has('0.1.0')).toBe(true);
    for (const release of releases) {
      const of = Object.keys(manifest.files).filter((f) => manifest.files[f]!.release === release);
      expect(of.some((f) => /(^|\/)campaign[.]/.test(f)), release).toBe(true);
      expect(of.some((f) => /(^|\/)duty-/.test(f)), release).toBe(true);
      if (release !== '0.1.0') expect(of.some((f) => f.includes('.before-')), release).toBe(true);
    }
  });
});

describe('replay of recorded histories', () => {
  // One replay worker for every history (the SDK's batch replay): a worker per history cost about 0.2 s each, most
  // of this file's time. Each history is still its own test, failing with its own determinism error.
  const results = new Map<string, ReplayResult>();
  beforeAll(async () => {
    const histories = files.map((file) => ({ workflowId: file, history: temporal.api.history.v1.History.decode(readFileSync(join(dir, file))) }));
    for await (const result of Worker.runReplayHistories({ workflowBundle: workflowBundle() }, histories)) results.set(result.workflowId, result);
  }, 300_000);

  it.each(files)('%s replays without a determinism error', (file) => {
    const result = results.get(file);
    expect(result, `${file} was not replayed`).toBeDefined();
    if (result!.error) throw result!.error;
  });
});
