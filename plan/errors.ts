/** One error type for plan, directory and calendar files: names the file, the path or line, and the fix. */
import type { z } from 'zod';

export class PlanFileError extends Error {
  /** What is wrong, without the file and place (a page shows those on their own). */
  readonly detail: string;
  /** Where in a YAML file, when known (1-based), for a page that points at it. */
  readonly line?: number;
  readonly column?: number;
  constructor(
    readonly code: 'UNREADABLE' | 'BAD_YAML' | 'INVALID' | 'UNKNOWN_UNIT' | 'DUPLICATE_CONTACT' | 'GROUP_LEAD',
    readonly file: string,
    readonly where: string,
    detail: string,
    options?: { cause?: unknown; line?: number; column?: number },
  ) {
    super(`${file}${where ? ` ${where}` : ''}: ${detail}`, options);
    this.name = 'PlanFileError';
    this.detail = detail.trim();
    if (options?.line !== undefined) this.line = options.line;
    if (options?.column !== undefined) this.column = options.column;
  }
}

/** An output file that exists already: a filled-in directory or 台账 is someone's afternoon. */
export class FileExistsError extends Error {
  readonly code = 'FILE_EXISTS';
  constructor(
    readonly file: string,
    hint = '请换一个文件名或先移走原文件',
  ) {
    super(`${file} 已存在，不会覆盖；${hint} (the file exists and is not overwritten)`);
    this.name = 'FileExistsError';
  }
}

export function pathText(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');
}

export function fromZod(file: string, error: z.ZodError): PlanFileError {
  const lines = error.issues.slice(0, 5).map((i) => `${pathText(i.path) || '(root)'}: ${i.message}`);
  const more = error.issues.length > 5 ? `\n  …另有 ${error.issues.length - 5} 处 (and ${error.issues.length - 5} more)` : '';
  return new PlanFileError('INVALID', file, pathText(error.issues[0]?.path ?? []), `\n  ${lines.join('\n  ')}${more}`);
}
