/** The slowest-first list names files that exist: a renamed file would drop off it silently and start late again. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { SLOWEST_FIRST } from './sequencer';

it('lists only test files that exist', () => {
  expect(SLOWEST_FIRST.filter((f) => !existsSync(join(__dirname, '..', f)))).toEqual([]);
});
