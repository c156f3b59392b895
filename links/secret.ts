/**
 * The link secret: created in the data folder on first start (32 random bytes, readable by the owner only),
 * replaced by `duban links rotate` — every link signed with the old one is then refused with a page that says so.
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { secretId } from './token';
import { dirname } from 'node:path';

export function loadLinkSecret(file: string): string {
  if (existsSync(file)) {
    const secret = readFileSync(file, 'utf8').trim();
    if (secret.length < 32) throw new Error(`链接密钥文件 ${file} 内容无效（至少 32 个字符）：删除后重启即重新生成 (link secret too short)`);
    return secret;
  }
  return rotateLinkSecret(file);
}

/** Writes a new secret (atomically: a half-written file never becomes the secret); the old one's id is retired. */
export function rotateLinkSecret(file: string): string {
  mkdirSync(dirname(file), { recursive: true });
  if (existsSync(file)) appendFileSync(`${file}.retired`, `${secretId(readFileSync(file, 'utf8').trim())}\n`);
  const secret = randomBytes(32).toString('base64url');
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, `${secret}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
  return secret;
}

/** The ids of secrets rotated out (links signed with them are refused as such, not as forgeries). */
export function retiredSecretIds(file: string): string[] {
  return existsSync(`${file}.retired`) ? readFileSync(`${file}.retired`, 'utf8').split('\n').filter(Boolean) : [];
}

/**
 * The current secret, re-read when the file changes: a rotation takes effect in running processes at once.
 * `retired` lists the ids of the secrets it replaced.
 */
export function linkSecretSource(file: string): (() => string) & { retired: () => string[] } {
  let cached: { mtimeMs: number; secret: string; retired: string[] } | undefined;
  loadLinkSecret(file);
  const current = () => {
    const mtimeMs = statSync(file).mtimeMs;
    if (!cached || cached.mtimeMs !== mtimeMs) cached = { mtimeMs, secret: loadLinkSecret(file), retired: retiredSecretIds(file) };
    return cached;
  };
  return Object.assign(() => current().secret, { retired: () => current().retired });
}
