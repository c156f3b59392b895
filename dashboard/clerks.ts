/**
 * Who may use 「新建督办」: the administrator (the dashboard token's holder, or anyone on a tokenless loopback
 * dashboard, which only the machine itself reaches) and the office clerks the directory names (`clerks`), each
 * signed in by a personal link as the supervising offices are (links/token.ts): a signed, expiring link; opening
 * it shows a button and only the button's POST starts the session (a mail scanner's GET starts nothing); the
 * session is an HttpOnly, SameSite=Strict cookie holding the link. The links are signed with the deployment's
 * link secret under a domain of their own ("clerk:"), so a clerk link is never an action link nor the reverse.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { sameSecret } from '../links/compare';
import { linkId, secretId } from '../links/token';
import type { Clerk, Directory } from '../plan/directory';

export const CLERK_COOKIE = 'duban_clerk';
/** A clerk's link (and so the session it starts) lasts 30 days, as action links do. */
export const CLERK_LINK_MAX_AGE_MS = 30 * 24 * 3600_000;

const clerkLinkSchema = z.object({
  v: z.literal(1),
  k: z.string().min(1),
  a: z.literal('clerk'),
  /** The clerk's name as the directory lists them. */
  p: z.string().min(1),
  i: z.number().int(),
  e: z.number().int(),
});
export type ClerkLink = z.output<typeof clerkLinkSchema>;

export type DeskUser = { kind: 'admin'; name: string; key: string } | { kind: 'clerk'; name: string; unit?: string; key: string };

const sign = (secret: string, body: string) => createHmac('sha256', secret).update(`clerk:${body}`).digest('base64url');

export function signClerkLink(secret: string, clerk: string, now: number): string {
  const body = Buffer.from(JSON.stringify({ v: 1, k: secretId(secret), a: 'clerk', p: clerk, i: now, e: now + CLERK_LINK_MAX_AGE_MS })).toString('base64url');
  return `${body}.${sign(secret, body)}`;
}

export type ClerkCheck = { ok: true; link: ClerkLink; id: string } | { ok: false; why: string };

/** Checks a clerk link; `why` is the page's Chinese sentence. */
export function verifyClerkLink(secret: string, token: string, now: number): ClerkCheck {
  const [body, sig, extra] = token.split('.');
  if (!body || !sig || extra !== undefined) return { ok: false, why: '链接不完整或格式不对，请从管理员发来的消息中重新打开。' };
  const expected = Buffer.from(sign(secret, body));
  const given = Buffer.from(sig);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, why: '链接签名不符（被改动过，或系统的链接密钥已更换）：请向管理员索取新的登录链接。' };
  let data: unknown;
  try {
    data = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, why: '链接内容无法读取，请向管理员索取新的登录链接。' };
  }
  const parsed = clerkLinkSchema.safeParse(data);
  if (!parsed.success) return { ok: false, why: '链接内容无法读取，请向管理员索取新的登录链接。' };
  if (now > parsed.data.e) return { ok: false, why: '登录链接已过期（有效期 30 天）：请向管理员索取新的登录链接。' };
  return { ok: true, link: parsed.data, id: linkId(token) };
}

/** The clerk a directory names, if still named. */
export function clerkOf(dir: Directory, name: string): Clerk | undefined {
  return dir.clerks.find((c) => c.name === name);
}

/** The clerk signed in by this cookie, if the link still holds and the directory still names them. */
export function clerkSession(secret: string, dir: Directory, cookie: string | undefined, now: number): DeskUser | undefined {
  if (!cookie) return undefined;
  const check = verifyClerkLink(secret, cookie, now);
  if (!check.ok) return undefined;
  const clerk = clerkOf(dir, check.link.p);
  if (!clerk) return undefined;
  return { kind: 'clerk', name: clerk.name, ...(clerk.unit ? { unit: clerk.unit } : {}), key: `clerk:${check.id}` };
}

/** The administrator, keyed by their token (so a CSRF token of one session is not another's). */
export function adminUser(token: string | undefined): DeskUser {
  return { kind: 'admin', name: '管理员', key: token ? `admin:${createHash('sha256').update(token).digest('base64url').slice(0, 16)}` : 'admin:local' };
}

/** How the audit log names the person. */
export function whoOf(user: DeskUser): string {
  return user.kind === 'admin' ? '管理员' : `${user.name}${user.unit ? `（${user.unit}）` : ''}`;
}

/** The token every form of the desk carries: tied to the session, so another site cannot post one. */
export function deskCsrf(secret: string, user: DeskUser): string {
  return createHmac('sha256', secret).update(`desk-csrf:${user.key}`).digest('base64url');
}

export function deskCsrfOk(secret: string, user: DeskUser, given: string | undefined | null): boolean {
  return sameSecret(given ?? '', deskCsrf(secret, user));
}

/** The sign-in button's proof that the POST came from the page this link opened. */
export function clerkFormToken(secret: string, linkIdValue: string): string {
  return createHmac('sha256', secret).update(`clerk-form:${linkIdValue}`).digest('base64url');
}
