/**
 * Signed action links: what a link may do (one action, one duty, one person of the directory, until when),
 * as `<payload>.<signature>`, both base64url; the signature is HMAC-SHA256 over the payload text with the
 * deployment's link secret. Pure: the secret is passed in, so tests and the dashboard share it.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/**
 * What a link does. Units: acknowledge, report done (or progress / visits), ask for more time; supervisors
 * decide; `office`: a supervising (or the discipline inspection) office's person opens the dashboard as
 * themselves (the link comes in their digest; `d` is then `*`).
 */
export const LINK_ACTIONS = ['ack', 'done', 'extend', 'approve', 'refuse', 'reject', 'office'] as const;
export type LinkAction = (typeof LINK_ACTIONS)[number];

/** Links live at most this long; a link of a duty that has ended is refused before that. */
export const LINK_MAX_AGE_MS = 30 * 24 * 3600_000;

export const linkPayloadSchema = z.object({
  v: z.literal(1),
  /** Which secret signed it (a rotated secret's links are refused with their own page). */
  k: z.string().min(1),
  a: z.enum(LINK_ACTIONS),
  d: z.string().min(1),
  /** The person, their unit and the role they act in. */
  p: z.string().min(1),
  u: z.string().min(1),
  r: z.enum(['coordinator', 'leader', 'supervisor']),
  /** Issued and expires, ms since epoch. */
  i: z.number().int(),
  e: z.number().int(),
  /** The message it came in (one link per message, person, duty and action). */
  m: z.string().min(1),
});
export type LinkPayload = z.output<typeof linkPayloadSchema>;

export type LinkCheck =
  | { ok: true; payload: LinkPayload; id: string }
  | { ok: false; why: 'malformed' | 'tampered' | 'rotated' | 'expired'; payload?: LinkPayload; id?: string };

/** The id of a secret, as links carry it: not the secret, and enough to tell an old one from a forged one. */
export function secretId(secret: string): string {
  return createHash('sha256').update(`duban-link-secret:${secret}`).digest('base64url').slice(0, 10);
}

function signature(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body).digest('base64url');
}

export function signLink(secret: string, payload: Omit<LinkPayload, 'v' | 'k'>): string {
  const body = Buffer.from(JSON.stringify({ v: 1, k: secretId(secret), ...payload })).toString('base64url');
  return `${body}.${signature(secret, body)}`;
}

/** A link's identity (for "used once" and the history): the hash of its signature. */
export function linkId(token: string): string {
  return createHash('sha256').update(token).digest('base64url').slice(0, 22);
}

/**
 * Checks a link. `retired`: the ids of secrets rotated out (their links get the "secret changed" page; any
 * other unknown id is a forgery). A payload that parses is returned even when the link is refused, but only a
 * signed one may be trusted: the caller records a refusal of an unsigned link without its fields.
 */
export function verifyLink(secret: string, token: string, now: number, retired: readonly string[] = []): LinkCheck {
  const [body, sig, extra] = token.split('.');
  if (!body || !sig || extra !== undefined) return { ok: false, why: 'malformed' };
  let payload: LinkPayload | undefined;
  try {
    const parsed = linkPayloadSchema.safeParse(JSON.parse(Buffer.from(body, 'base64url').toString('utf8')));
    payload = parsed.success ? parsed.data : undefined;
  } catch {
    payload = undefined;
  }
  const id = linkId(token);
  const expected = Buffer.from(signature(secret, body));
  const given = Buffer.from(sig);
  const signed = given.length === expected.length && timingSafeEqual(given, expected);
  if (!signed) {
    if (payload && retired.includes(payload.k)) return { ok: false, why: 'rotated', payload, id };
    return { ok: false, why: payload ? 'tampered' : 'malformed', ...(payload ? { payload } : {}), id };
  }
  if (!payload) return { ok: false, why: 'malformed', id };
  if (now > payload.e) return { ok: false, why: 'expired', payload, id };
  return { ok: true, payload, id };
}
