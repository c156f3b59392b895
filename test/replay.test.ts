/**
 * Recorded histories of every workflow type replay against today's workflow code: a change that would
 * break running workflows (without `patched`) fails here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { workflowBundle } from './env';

const dir = join(__dirname, 'replay');
const files = readdirSync(dir).filter((f) => f.endsWith('.pb'));

describe('replay of recorded histories', () => {
  it('has histories of both workflow types', () => {
    expect(files.some((f) => f.startsWith('campaign.'))).toBe(true);
    expect(files.some((f) => f.startsWith('duty-'))).toBe(true);
  });

  it.each(files)('%s replays without a determinism error', async (file) => {
    const history = temporal.api.history.v1.History.decode(readFileSync(join(dir, file)));
    await expect(Worker.runReplayHistory({ workflowBundle: workflowBundle() }, history, file)).resolves.toBeUndefined();
  });
});
