/** Where action links point and which secret signs them, from the environment (worker, dashboard and bot alike). */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { LinkSigner } from './actions';
import { linkSecretSource } from './secret';

/** The data folder (DUBAN_DATA_DIR, default ./data). */
export function dataDir(): string {
  const dir = resolve(process.env.DUBAN_DATA_DIR ?? 'data');
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function linkSecretFile(): string {
  return join(dataDir(), 'link-secret');
}

/** DUBAN_PUBLIC_URL is https: browsers reach the dashboard over TLS, so its cookies are Secure (read alone: no secret file). */
export function publicUrlIsHttps(): boolean {
  return /^https:\/\//i.test(process.env.DUBAN_PUBLIC_URL?.trim() ?? '');
}

let links: LinkSigner | undefined;
/** Action links, when DUBAN_PUBLIC_URL says where units reach the dashboard (one signer per process). */
export function publicLinks(): LinkSigner | undefined {
  const url = process.env.DUBAN_PUBLIC_URL?.trim();
  if (!url) return undefined;
  if (!/^https?:\/\/[^/\s]+/.test(url)) throw new Error(`DUBAN_PUBLIC_URL 须为 http(s):// 开头的地址，得到「${url}」(DUBAN_PUBLIC_URL must be an http(s) URL)`);
  links ??= { publicUrl: url.replace(/\/+$/, ''), secret: linkSecretSource(linkSecretFile()) };
  return links;
}
