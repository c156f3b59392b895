/**
 * Action pages behind signed links (`/a/<link>`). Opening a link never acts — mail scanners and chat previews
 * open every link — GET shows the duty, the person and what will happen, with a form; only that form's POST
 * acts, through the same Updates (and validators) as a chat reply, recorded as 「（链接）」. A tampered,
 * expired, rotated, reused or foreign link gets a page saying so and changes nothing; one whose signature holds
 * (expired, reused, foreign) is also recorded on the duty it names, within bounds. The link is the
 * authorization: no dashboard token, and nothing shown beyond its one duty.
 */
import { createHash, createHmac } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { confirmation, run } from '../bot/replies';
import type { Command } from '../bot/commands';
import { escapeHtml as h } from '../channels/render';
import { ACTION_CN, OFFICE_COOKIE } from '../links/actions';
import { sameSecret } from '../links/compare';
import { linkId, verifyLink, type LinkCheck, type LinkPayload } from '../links/token';
import { LINK_EXPIRED_RECORDED_MS, refusalSource, type LinkUses } from '../links/uses';
import type { Directory } from '../plan/directory';
import { attemptRefusedSignal, statusQuery, type Actor } from '../workflows/messages';
import type { DutyState } from '../workflows/types';
import { STYLESHEET_LINK } from './style';

export interface ActionDeps {
  client: Client;
  directory: Directory;
  /** The current secret; `retired`: ids of the secrets rotated out (links/secret.ts). */
  secret: (() => string) & { retired?: () => string[] };
  uses: LinkUses;
  now: () => number;
  /** The public address is https: the office cookie is Secure. */
  secureCookie?: boolean;
  /** A task's title, from its campaign's plan (the duty's state carries only the number); none: the number alone. */
  taskTitle?: (dutyId: string, taskNumber: number) => Promise<string | undefined>;
}

export interface Page {
  status: number;
  html: string;
  headers?: Record<string, string>;
}

/** Actions that work once; acknowledging again is harmless and answered "already done" by the duty's state. */
const ONE_SHOT = new Set(['done', 'extend', 'approve', 'refuse', 'reject']);

function page(status: number, title: string, body: string): Page {
  return {
    status,
    // The dashboard's stylesheet, one column (body.action): read on a phone from WeChat, it never scrolls sideways.
    html: `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="referrer" content="no-referrer"><title>${h(title)}</title>${STYLESHEET_LINK}</head><body class="action"><header class="topbar"><span class="county">督办系统</span></header><main><h1>${h(title)}</h1>${body}<p class="muted">督办系统 duban · 此页面仅用于办理链接所指的一项任务。</p></main></body></html>`,
  };
}

const WHY_CN: Record<Exclude<LinkCheck, { ok: true }>['why'], string> = {
  malformed: '链接不完整或格式不对，请从原消息中重新打开。',
  tampered: '链接内容被改动过，签名不符，无法使用。',
  rotated: '链接已失效：系统的链接密钥已更换，旧消息中的链接不再可用。请使用最新消息中的链接，或在微信群中回复指令。',
  expired: '链接已过期（链接有效期最长 30 天）。请使用最新消息中的链接，或在微信群中回复指令。',
};

/** The form's proof that it came from our page for this link (a scanner only GETs; a foreign site cannot read it). */
function formToken(secret: string, id: string): string {
  return createHmac('sha256', secret).update(`form:${id}`).digest('base64url');
}

function actorOf(p: LinkPayload): Actor {
  return { person: `${p.p}（链接）`, unit: p.u, role: p.r, channel: 'page' };
}

/**
 * 「撤回」 under what this person just did through the page (issue #25): a POST of the page's own form, never a GET.
 * Shown while the duty's latest reply is theirs; the duty's validator decides (same day, not yet reviewed).
 */
function undoForm(secret: string, id: string, s: DutyState, p: LinkPayload): string {
  if (!s.lastReply || s.ended || s.lastReply.by.replace(/（(链接|管理员代录)）$/, '') !== p.p) return '';
  return `<form method="post"><input type="hidden" name="form" value="${h(formToken(secret, id))}"><input type="hidden" name="undo" value="1">
<p><button type="submit" class="secondary">撤回</button> 当天、督办单位审核前可撤回本人的这次回复。</p></form>`;
}

/** The person is still in the directory, in that unit and role (a link outlives a change of coordinator). */
export function stillListed(dir: Directory, p: LinkPayload): boolean {
  const unit = dir.units[p.u];
  if (!unit) return false;
  if (p.r === 'supervisor') return dir.supervisors.includes(p.u) && [...unit.coordinators, ...unit.leaders].some((x) => x.name === p.p);
  return unit[p.r === 'leader' ? 'leaders' : 'coordinators'].some((x) => x.name === p.p);
}

/** An office's dashboard session, from its cookie: the person it names, if the link is still good. */
export function officeSession(deps: Pick<ActionDeps, 'directory' | 'secret' | 'now'>, cookie: string | undefined): { payload: LinkPayload; id: string } | undefined {
  if (!cookie) return undefined;
  const check = verifyLink(deps.secret(), cookie, deps.now());
  if (!check.ok || check.payload.a !== 'office' || !stillListed(deps.directory, check.payload)) return undefined;
  return { payload: check.payload, id: check.id };
}

/** The token a dashboard form carries: tied to the session and the duty, so another site cannot post one. */
export function csrfToken(secret: string, sessionId: string, dutyId: string): string {
  return createHmac('sha256', secret).update(`csrf:${sessionId}:${dutyId}`).digest('base64url');
}

/** A supervisor's decision from the dashboard's duty page: the same Updates as a chat reply, marked （看板）. */
export async function dashboardDecision(deps: ActionDeps, session: { payload: LinkPayload; id: string }, form: URLSearchParams): Promise<Page> {
  const dutyId = form.get('id') ?? '';
  const act = form.get('act') ?? '';
  if (!sameSecret(form.get('csrf') ?? '', csrfToken(deps.secret(), session.id, dutyId))) {
    return page(403, '请从看板页面提交', '<p class="refused">请求不是从本系统的看板页面提交的，未做任何改动。</p>');
  }
  const reason = (form.get('reason') ?? '').trim().slice(0, 500);
  const command: Command | undefined =
    act === 'approve' ? { kind: 'decide', approve: true } : act === 'refuse' && reason ? { kind: 'decide', approve: false, reason } : act === 'reject' && reason ? { kind: 'reject', reason } : undefined;
  if (!command) return page(400, '未受理', '<p class="refused">请选择操作并填写理由。</p>');
  const p = session.payload;
  if (p.r !== 'supervisor') return page(403, '未受理', '<p class="refused">只有督办单位人员可以审批。</p>');
  const handle = deps.client.workflow.getHandle(dutyId);
  try {
    const state = await handle.query(statusQuery);
    await run(handle, { person: `${p.p}（看板）`, unit: p.u, role: p.r }, command, state.deadline);
    return { status: 303, html: '', headers: { location: `/duty?id=${encodeURIComponent(dutyId)}` } };
  } catch (err) {
    const refusal = err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure ? err.cause.message : undefined;
    if (refusal === undefined) process.stderr.write(`dashboard decision ${dutyId}: ${String(err)}\n`);
    const why = refusal ?? '系统暂时无法确认是否已受理，请刷新任务页面核对。';
    return page(refusal === undefined ? 503 : 422, '未受理', `<p class="refused">${h(why)}</p><p>未做任何改动。<a href="/duty?id=${h(encodeURIComponent(dutyId))}">返回</a></p>`);
  }
}

/** The duty as its unit knows it: the task's number and title (a number alone says nothing on a phone). */
function describe(s: DutyState, p: LinkPayload, taskTitle?: string): string {
  return `<div class="box"><p><b id="task-name">任务${s.taskNumber}${taskTitle ? ` ${h(taskTitle)}` : ''}${s.period ? `（${h(s.period)}）` : ''}</b></p>
<p>责任单位：${h(s.unit)}&emsp;截止：${h(s.deadline)}&emsp;状态：${h(STATUS_CN[s.status] ?? s.status)}</p>
<p>办理人：${h(p.p)}（${h(p.u)}）</p></div>`;
}

const STATUS_CN: Record<string, string> = { open: '待确认', acknowledged: '办理中', completed: '已办结', closed: '已关闭' };

/** The fields the action needs, by duty kind: a note, a percent, a count, a date and reason. */
function fields(action: LinkPayload['a'], s: DutyState): string {
  if (action === 'done') {
    if (s.kind === 'progress') return `<label>本期进度（%）<input name="percent" type="number" min="0" max="100" required></label><label>比较基准（如全省平均，%，可不填）<input name="bar" type="number" min="0" max="100"></label>`;
    if (s.kind === 'quota') return `<label>本次走访（次）<input name="count" type="number" min="1" max="100" required></label>`;
    return `<label>办结情况说明<textarea name="note" rows="3" required></textarea></label>`;
  }
  if (action === 'extend') return `<label>申请延至<input name="date" type="date" required></label><label>延期理由<textarea name="reason" rows="3" required></textarea></label>`;
  if (action === 'refuse' || action === 'reject') return `<label>理由<textarea name="reason" rows="3" required></textarea></label>`;
  return '';
}

function what(action: LinkPayload['a'], s: DutyState): string {
  switch (action) {
    case 'ack':
      return '提交后，本任务登记为「已确认收到」，不再催要确认；截止前的提醒照常发送。';
    case 'done':
      return s.kind === 'progress' ? '提交后，登记本期进度。' : s.kind === 'quota' ? '提交后，登记走访次数。' : '提交后，本任务登记为「已办结」，督办单位审核期间可驳回。';
    case 'extend':
      return `提交后，延期申请送督办单位审批；批准前仍按原截止日期 ${h(s.deadline)} 督办。`;
    case 'approve':
      return `提交后，同意延期至 ${h(s.pendingExtension?.date ?? '—')}，提醒与督办按新日期重排。`;
    case 'refuse':
      return '提交后，不同意延期，按原截止日期督办。';
    case 'reject':
      return '提交后，驳回办结，任务重新打开。';
    case 'office':
      return '';
  }
}

function commandOf(action: LinkPayload['a'], s: DutyState, form: URLSearchParams): Command | string {
  const text = (name: string) => (form.get(name) ?? '').trim().slice(0, 500);
  const num = (name: string) => (form.get(name) ?? '').trim() === '' ? undefined : Number(form.get(name));
  switch (action) {
    case 'ack':
      return { kind: 'acknowledge' };
    case 'done': {
      if (s.kind === 'progress') {
        const percent = num('percent');
        if (percent === undefined) return '请填写本期进度';
        const bar = num('bar');
        return { kind: 'progress', percent, ...(bar !== undefined ? { bar } : {}) };
      }
      if (s.kind === 'quota') {
        const count = num('count');
        if (count === undefined) return '请填写走访次数';
        return { kind: 'actions', count };
      }
      return text('note') ? { kind: 'complete', note: text('note') } : '请填写办结情况说明';
    }
    case 'extend':
      return /^\d{4}-\d{2}-\d{2}$/.test(text('date')) ? { kind: 'extension', date: text('date'), reason: text('reason') } : '请选择申请延至的日期';
    case 'approve':
      return { kind: 'decide', approve: true };
    case 'refuse':
      return text('reason') ? { kind: 'decide', approve: false, reason: text('reason') } : '请填写理由';
    case 'reject':
      return text('reason') ? { kind: 'reject', reason: text('reason') } : '请填写理由';
    case 'office':
      return '不是办理链接';
  }
}

/**
 * A urlencoded form body, or undefined past `limit` bytes. The chunks are kept as bytes and decoded once: a client
 * may send the Chinese as UTF-8 rather than percent-encoded, and a chunk may end inside a character, which decoded
 * alone would become U+FFFD on both sides of the cut.
 */
export async function readForm(req: IncomingMessage, limit = 16_384): Promise<URLSearchParams | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer | string>) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += bytes.length;
    if (size > limit) return undefined;
    chunks.push(bytes);
  }
  return new URLSearchParams(Buffer.concat(chunks, size).toString('utf8'));
}

/** GET or POST of `/a/<token>`; `from`: the client's address, which refusals are counted against. */
export async function actionPage(deps: ActionDeps, token: string, method: string, form?: URLSearchParams, from?: string): Promise<Page> {
  const secret = deps.secret();
  const now = deps.now();
  const check = verifyLink(secret, token, now, deps.secret.retired?.() ?? []);
  const source = refusalSource(from);
  // A refusal is recorded on the duty a *signed* link names, once per link (and per reason for a validator's),
  // within the limits of links/uses.ts. A link that fails its signature (changed, forged, or signed by a secret
  // rotated out, which cannot be checked any more) proves nothing about who sent it nor which duty it names: it
  // gets its page and is neither recorded nor signalled, so no one can write into a duty's history without a link.
  const record = async (p: LinkPayload, key: string, text: string, reason: string) => {
    if (p.d === '*' || deps.uses.recordRefusal(key, source, now) !== 'recorded') return;
    await deps.client.workflow
      .getHandle(p.d)
      .signal(attemptRefusedSignal, { who: `${p.p}（${p.u}，链接）`, text, reason })
      .catch(() => undefined);
  };
  const refuse = async (status: number, reason: string, signed?: LinkPayload) => {
    if (signed) await record(signed, check.id ?? linkId(token), `链接：${ACTION_CN[signed.a]}`, reason);
    return page(status, '链接无法使用', `<p class="refused">${h(reason)}</p><p>未做任何改动。</p>`);
  };
  if (!check.ok) {
    // Expired is the only refusal of a link whose signature held; long expired, it is not worth a line.
    const signed = check.why === 'expired' && check.payload && now <= check.payload.e + LINK_EXPIRED_RECORDED_MS ? check.payload : undefined;
    return refuse(check.why === 'expired' || check.why === 'rotated' ? 410 : 400, WHY_CN[check.why], signed);
  }
  const p = check.payload;
  if (!stillListed(deps.directory, p)) return refuse(403, `${p.p} 已不在 ${p.u} 的督办通讯录中，链接不能再使用。`, p);
  if (p.a === 'office') {
    // Opening it shows a button; only the POST starts the session (a scanner's GET starts nothing).
    if (method === 'GET') {
      return page(200, ACTION_CN.office, `<p>${h(p.p)}（${h(p.u)}）</p><p>进入后可查看全部督办事项${p.r === 'supervisor' ? '，并在任务页面审批延期申请、驳回办结' : ''}。请勿转发此链接。</p>
<form method="post"><input type="hidden" name="form" value="${h(formToken(secret, check.id))}"><p><button type="submit">以 ${h(p.p)} 身份进入</button></p></form>`);
    }
    if (!form || !sameSecret(form.get('form') ?? '', formToken(secret, check.id))) return page(403, '请从链接页面提交', '<p class="refused">请重新打开原消息中的链接。</p>');
    return {
      status: 303,
      html: '',
      headers: { location: '/', 'set-cookie': `${OFFICE_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${Math.max(0, Math.floor((p.e - now) / 1000))}${deps.secureCookie ? '; Secure' : ''}` },
    };
  }
  let state: DutyState;
  try {
    state = await deps.client.workflow.getHandle(p.d).query(statusQuery);
  } catch {
    return page(404, '链接无法使用', '<p class="refused">链接所指的任务不存在，或督办系统暂时无法读取。</p><p>未做任何改动。</p>');
  }
  const taskTitle = await deps.taskTitle?.(p.d, state.taskNumber).catch(() => undefined);
  if (state.ended) {
    await refuse(410, '任务已结束后打开的链接', p);
    return page(410, '任务已结束', `${describe(state, p, taskTitle)}<p>该任务已结束，无需再办理。</p>`);
  }
  if (p.r !== 'supervisor' && state.unit !== p.u) return refuse(403, `该任务属于 ${state.unit}，不是 ${p.u} 的任务。`, p);
  // A decision link answers the request it came with: a later request needs the later message's link.
  if ((p.a === 'approve' || p.a === 'refuse') && state.pendingExtension && Math.floor(state.pendingExtension.at / 60_000) * 60_000 > p.i) {
    // (Messages carry their minute: a request is newer than the link when it came in a later minute.)
    return refuse(409, `此链接针对的是更早的延期申请；当前申请（延至 ${state.pendingExtension.date}）请使用最新消息中的链接。`, p);
  }
  if (method === 'POST' && form?.get('undo') === '1') {
    if (!sameSecret(form.get('form') ?? '', formToken(secret, check.id))) return page(403, '请从链接页面提交', '<p class="refused">请求不是从本系统的办理页面提交的，未做任何改动。请重新打开原消息中的链接。</p>');
    try {
      const after = await run(deps.client.workflow.getHandle(p.d), actorOf(p), { kind: 'undo' }, state.deadline);
      // The link may be used again for what it was for (after a mistaken 「办结」, the real one later).
      if (ONE_SHOT.has(p.a)) deps.uses.release(check.id);
      return page(200, '已撤回', `${describe(after, p, taskTitle)}<p class="done">${h(confirmation({ kind: 'undo' }, after, `任务${after.taskNumber}`))}</p>`);
    } catch (err) {
      const refusal = err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure ? err.cause.message : '系统暂时无法撤回，请稍后重试或联系督办单位。';
      return page(422, '未撤回', `${describe(state, p, taskTitle)}<p class="refused">${h(refusal)}</p><p>未做任何改动。</p>`);
    }
  }
  const used = ONE_SHOT.has(p.a) ? deps.uses.used(check.id) : undefined;
  const already = used && used.outcome !== 'in-progress' ? used : undefined;
  if (already) {
    await refuse(200, '链接再次使用（已办理过）', p);
    return page(200, '已办理', `${describe(state, p, taskTitle)}<p class="done">此链接已于 ${h(new Date(already.at + 8 * 3600_000).toISOString().slice(0, 16).replace('T', ' '))} 使用：${h(already.outcome)}</p>${undoForm(secret, check.id, state, p)}`);
  }
  if (p.a === 'ack' && state.status !== 'open') return page(200, '已办理', `${describe(state, p, taskTitle)}<p class="done">该任务已确认（${h(STATUS_CN[state.status] ?? state.status)}），无需再次确认。</p>${undoForm(secret, check.id, state, p)}`);
  const title = ACTION_CN[p.a];

  if (method === 'GET') {
    return page(
      200,
      title,
      `${describe(state, p, taskTitle)}<p>${what(p.a, state)}</p>
<form method="post"><input type="hidden" name="form" value="${h(formToken(secret, check.id))}">${fields(p.a, state)}
<p><button type="submit">${h(title.startsWith('确认') ? title : `确认${title}`)}</button></p></form>`,
    );
  }
  // POST: only from our own page.
  if (!form || !sameSecret(form.get('form') ?? '', formToken(secret, check.id))) {
    return page(403, '请从链接页面提交', '<p class="refused">请求不是从本系统的办理页面提交的，未做任何改动。请重新打开原消息中的链接。</p>');
  }
  const command = commandOf(p.a, state, form);
  if (typeof command === 'string') return page(400, title, `${describe(state, p, taskTitle)}<p class="refused">${h(command)}</p><p>未做任何改动，请返回重新填写。</p>`);
  const oneShot = ONE_SHOT.has(p.a);
  if (oneShot && !deps.uses.claim(check.id, now)) return page(409, '已办理', `${describe(state, p, taskTitle)}<p class="done">此链接正在或已经使用过。</p>`);
  try {
    const after = await run(deps.client.workflow.getHandle(p.d), actorOf(p), command, state.deadline);
    const answer = confirmation(command, after, `任务${after.taskNumber}`);
    if (oneShot) deps.uses.settle(check.id, answer);
    return page(200, '已受理', `${describe(after, p, taskTitle)}<p class="done">${h(answer)}</p>${undoForm(secret, check.id, after, p)}`);
  } catch (err) {
    // A validator's refusal: nothing happened, the reason is the rules' own words, and the link may be used
    // again (e.g. with a corrected date). Anything else (the server unreachable, a timeout) may or may not have
    // acted: the link stays used, and the page says to check rather than showing internals.
    const refusal = err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure ? err.cause.message : undefined;
    if (refusal === undefined) {
      process.stderr.write(`action link ${check.id}: ${String(err)}\n`);
      if (oneShot) deps.uses.settle(check.id, '结果未知（系统繁忙），请在看板或微信中核对');
      return page(503, '暂时无法确认', `${describe(state, p, taskTitle)}<p class="refused">系统暂时无法确认是否已受理，请稍后在消息中的链接或微信群「我的任务」核对，勿重复提交。</p>`);
    }
    if (oneShot) deps.uses.release(check.id);
    // The same refusal again (the same wrong date posted twice) is recorded once.
    await record(p, `${check.id}:${createHash('sha256').update(refusal).digest('base64url').slice(0, 16)}`, `链接：${title}`, refusal);
    return page(422, '未受理', `${describe(state, p, taskTitle)}<p class="refused">${h(refusal)}</p><p>未做任何改动。</p>`);
  }
}
