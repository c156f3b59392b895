/**
 * The rules for incoming email, alone (no servers): which messages a machine wrote, which ids are ours, who may be
 * acted for, what the person wrote above the quoted thread, the replies mailbox's settings, and the inbox ledger
 * across a restart. The same rules run end to end against GreenMail in test/mail-replies.test.ts.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { withoutEmailQuote } from '../bot/quoted';
import { InboxLedger } from '../channels/inbox-ledger';
import { imapConfigFromEnv, MailRepliesError } from '../channels/mail-replies';
import {
  automatedReason,
  mailFacts,
  NOT_A_REPLY_ANSWER,
  ourKey,
  ourMessageId,
  replySubject,
  screenMail,
  STRANGER_ANSWER,
  type ScreenContext,
} from '../channels/mail-screen';

const OURS = ourMessageId('morning/2022-05-05/县以工代赈中心#u19.coordinator@example.org');

/** A message as it arrives: headers as a mail system writes them, then a body. */
async function facts(headers: string[], body = '收到 4', contentType = 'text/plain; charset=utf-8') {
  const raw = [...headers, `Content-Type: ${contentType}`, 'MIME-Version: 1.0', '', body, ''].join('\r\n');
  return mailFacts(await simpleParser(Buffer.from(raw)));
}
const person = [
  'From: 彭玉芳 <u19.coordinator@example.org>',
  'To: duban@example.org',
  'Subject: Re: 【督办】[任务4] 抓实易地搬迁后续扶持',
  `In-Reply-To: ${OURS}`,
  `References: ${OURS}`,
  'Message-ID: <r1@example.org>',
];

describe('machines, not people', () => {
  it('a person’s reply is not automated, even with Exchange’s X-Auto-Response-Suppress and Auto-Submitted: no', async () => {
    expect(automatedReason(await facts(person))).toBeUndefined();
    expect(
      automatedReason(await facts([...person, 'X-Auto-Response-Suppress: All', 'Auto-Submitted: no'])),
    ).toBeUndefined();
  });

  it.each([
    ['Auto-Submitted: auto-replied', /Auto-Submitted: auto-replied/],
    ['Auto-Submitted: auto-generated; owner-email="x@example.org"', /auto-generated/],
    ['X-Autoreply: yes', /x-autoreply/],
    ['X-Autorespond: 1', /x-autorespond/],
    ['Precedence: bulk', /Precedence: bulk/],
    ['Precedence: auto_reply', /auto_reply/],
    ['Precedence: junk', /junk/],
    ['X-Precedence: bulk', /bulk/],
    ['Return-Path: <>', /Return-Path/],
    ['X-Failed-Recipients: u19.coordinator@example.org', /X-Failed-Recipients/],
  ])('%s', async (header, reason) => {
    expect(automatedReason(await facts([...person, header]))).toMatch(reason);
  });

  it('a delivery report (multipart/report) and MAILER-DAEMON / postmaster senders', async () => {
    const report = await facts(
      person,
      '--b\r\nContent-Type: text/plain\r\n\r\nDelivery failed\r\n--b--',
      'multipart/report; report-type=delivery-status; boundary="b"',
    );
    expect(automatedReason(report)).toMatch(/multipart\/report/);
    expect(
      automatedReason(await facts(['From: Mail Delivery System <MAILER-DAEMON@mx.example.org>', ...person.slice(1)])),
    ).toMatch(/MAILER-DAEMON/);
    expect(automatedReason(await facts(['From: postmaster@example.org', ...person.slice(1)]))).toMatch(/postmaster/);
  });

  it.each([
    '自动回复: Re: 【督办】[任务4]',
    '自动回复：您好',
    '自动答复: 【督办】',
    'Auto Reply: x',
    'Automatic reply: 【督办】',
    'Out of Office: x',
    'Out of the office',
    '退信：无法投递',
    '系统退信',
    'Undeliverable: 【督办】',
    'Delivery Status Notification (Failure)',
    'Mail delivery failed: returning message to sender',
    '[外部邮件] 自动回复: x',
  ])('subject 「%s」', async (subject) => {
    expect(
      automatedReason(await facts([...person.filter((h) => !h.startsWith('Subject')), `Subject: ${subject}`])),
    ).toMatch(/subject/);
  });

  it('subjects people write are not automated', async () => {
    for (const subject of ['Re: 【督办】[任务4] 抓实易地搬迁后续扶持', '回复：关于退信的问题', '答复: 收到']) {
      expect(
        automatedReason(await facts([...person.filter((h) => !h.startsWith('Subject')), `Subject: ${subject}`])),
      ).toBeUndefined();
    }
  });
});

describe('our Message-IDs', () => {
  it('decode to the key we sent; other ids and forged ones do not', () => {
    expect(ourKey(OURS)).toBe('morning/2022-05-05/县以工代赈中心#u19.coordinator@example.org');
    expect(ourKey('<r1@example.org>')).toBeUndefined();
    expect(ourKey('<abc@duban.example.org>')).toBeUndefined();
    // Not base64url of anything (a byte that does not survive the round trip).
    expect(ourKey('<Zm9vB@duban>')).toBeUndefined();
  });

  it('In-Reply-To and References are both read, with or without brackets', async () => {
    const f = await facts([
      'From: a@example.org',
      `In-Reply-To: <x@example.org>`,
      `References: <y@example.org>\r\n ${OURS}`,
    ]);
    expect(f.replyTo).toEqual(['<x@example.org>', '<y@example.org>', OURS]);
  });
});

describe('who may be acted for', () => {
  const ctx = (over: Partial<ScreenContext> = {}): ScreenContext => ({
    self: ['duban@example.org'],
    known: (a) => a === 'u19.coordinator@example.org',
    ours: (id) => id === OURS,
    looksLikeCommand: (t) => /收到|完成/.test(t),
    receivedAt: Date.parse('2026-05-05T02:00:00Z'),
    now: Date.parse('2026-05-05T03:00:00Z'),
    maxAgeMs: 72 * 3_600_000,
    ...over,
  });

  it('a directory address answering one of ours is acted on', async () => {
    expect(screenMail(await facts(person), ctx())).toEqual({ act: true });
  });

  it('a stranger: a short refusal only when answering one of ours (no backscatter to forged senders)', async () => {
    const stranger = ['From: someone@qq.example', ...person.slice(1)];
    expect(screenMail(await facts(stranger), ctx())).toMatchObject({
      act: false,
      outcome: 'stranger',
      answer: STRANGER_ANSWER,
    });
    const cold = await facts(['From: someone@qq.example', 'Subject: 收到 4', 'Message-ID: <s@qq.example>']);
    const s = screenMail(cold, ctx());
    expect(s).toMatchObject({ act: false, outcome: 'stranger' });
    expect('answer' in s && s.answer).toBeFalsy();
  });

  it('a directory address not answering ours: a note when it reads as a command, silence for chatter', async () => {
    const fresh = person.filter((h) => !/^(In-Reply-To|References)/.test(h));
    expect(screenMail(await facts(fresh, '完成 4 已报'), ctx())).toMatchObject({
      act: false,
      outcome: 'not-a-reply',
      answer: NOT_A_REPLY_ANSWER,
    });
    const chatter = screenMail(await facts(fresh, '周五开会吗'), ctx());
    expect(chatter).toMatchObject({ act: false, outcome: 'not-a-reply' });
    expect('answer' in chatter && chatter.answer).toBeFalsy();
    const otherThread = [...fresh, 'In-Reply-To: <thread@example.org>'];
    expect(screenMail(await facts(otherThread), ctx())).toMatchObject({ act: false, outcome: 'not-a-reply' });
  });

  it('our own mail coming back, an automated one and an old one are never acted on nor answered', async () => {
    const own = screenMail(await facts(['From: 督办系统 <DUBAN@example.org>', ...person.slice(1)]), ctx());
    expect(own).toMatchObject({ act: false, outcome: 'self' });
    const auto = screenMail(await facts([...person, 'Auto-Submitted: auto-replied']), ctx());
    expect(auto).toMatchObject({ act: false, outcome: 'automated' });
    expect('answer' in auto && auto.answer).toBeFalsy();
    expect(screenMail(await facts(person), ctx({ receivedAt: Date.parse('2026-05-01T00:00:00Z') }))).toMatchObject({
      act: false,
      outcome: 'too-old',
    });
  });

  it('the answer’s subject: one Re:, and a client’s 回复：/答复： kept', () => {
    expect(replySubject('【督办】[任务4] 抓实易地搬迁后续扶持')).toBe('Re: 【督办】[任务4] 抓实易地搬迁后续扶持');
    expect(replySubject('Re: 【督办】x')).toBe('Re: 【督办】x');
    expect(replySubject('回复：【督办】x')).toBe('回复：【督办】x');
    expect(replySubject('RE: x')).toBe('RE: x');
  });
});

describe('what the person wrote, above the quoted thread (bot/quoted.ts, email part)', () => {
  it.each([
    ['Gmail (Chinese)', '收到 4\n\n督办系统 <duban@example.org> 于2022年5月5日周四 10:00写道：\n> 完成 4 情况说明'],
    [
      'Gmail, the header wrapped',
      '收到 4\n\nOn Thu, May 5, 2022 at 10:00 AM 督办系统 <\nduban@example.org> wrote:\n\n> 完成 4',
    ],
    [
      'Apple Mail (Chinese), the header starts with its date',
      '收到 4\n\n2022年5月5日 10:00，督办系统 <duban@example.org> 写道：\n\n完成 4 情况说明',
    ],
    ['NetEase 163', '收到 4\n在 2022-05-05 10:00:00，"督办系统" <duban@example.org> 写道：\n完成 4'],
    ['NetEase Mail Master', '收到 4\n\n---- 回复的原邮件 ----\n| 发件人 | 督办系统 |\n完成 4'],
    ['NetEase Mail Master (English)', '收到 4\n---- Replied Message ----\n完成 4'],
    [
      'QQ Mail',
      '收到 4\n\n\n------------------\u00a0原始邮件\u00a0------------------\n发件人: "督办系统"<duban@example.org>;\n完成 4',
    ],
    ['QQ Mail (English)', '收到 4\n------------------ Original ------------------\nFrom: 督办系统\n完成 4'],
    ['Outlook / Coremail', '收到 4\n\n-----原始邮件-----\n发件人: 督办系统\n完成 4'],
    ['Outlook (underline)', '收到 4\n________________________________\n发件人: 督办系统\n完成 4'],
    ['a forward', '收到 4\n-------- 转发邮件信息 --------\n完成 4'],
    ['a signature', '收到 4\n-- \n彭玉芳\n完成 4 的材料请发我'],
    ['a phone', '收到 4\n\n发自我的iPhone\n\n> 完成 4'],
    ['NetEase app', '收到 4\n\n发自网易邮箱大师\n完成 4'],
  ])('%s', (_client, text) => {
    expect(withoutEmailQuote(text)).toBe('收到 4');
  });

  it('keeps every line the person wrote (a note over several lines)', () => {
    expect(withoutEmailQuote('完成 4 清单已编制\n已报县局\n\n> 请回复「完成 4 情况说明」')).toBe(
      '完成 4 清单已编制\n已报县局',
    );
  });
});

describe('the replies mailbox’s settings', () => {
  it('none configured: email replies are off', () => {
    expect(imapConfigFromEnv({})).toBeUndefined();
  });

  it('a URL, or the parts; IMAPS on 993 by default', () => {
    expect(
      imapConfigFromEnv({ DUBAN_IMAP_URL: 'imaps://duban%40example.org:p%40ss@imap.example.org/%E7%9D%A3%E5%8A%9E' }),
    ).toMatchObject({
      host: 'imap.example.org',
      port: 993,
      secure: true,
      user: 'duban@example.org',
      password: 'p@ss',
      mailbox: '督办',
    });
    expect(
      imapConfigFromEnv({
        DUBAN_IMAP_HOST: 'imap.example.org',
        DUBAN_IMAP_USER: 'duban@example.org',
        DUBAN_IMAP_PASSWORD: 'x',
      }),
    ).toMatchObject({ port: 993, secure: true, mailbox: 'INBOX', pollMs: 60_000 });
    expect(
      imapConfigFromEnv({
        DUBAN_IMAP_HOST: 'h',
        DUBAN_IMAP_USER: 'u',
        DUBAN_IMAP_PASSWORD: 'x',
        DUBAN_IMAP_SECURE: 'false',
      }),
    ).toMatchObject({ port: 143, secure: false });
  });

  it.each([
    [{ DUBAN_IMAP_PORT: '99999', DUBAN_IMAP_HOST: 'h' }, 'DUBAN_IMAP_PORT'],
    [
      { DUBAN_IMAP_HOST: 'h', DUBAN_IMAP_USER: 'u', DUBAN_IMAP_PASSWORD: 'x', DUBAN_IMAP_SECURE: 'yes' },
      'DUBAN_IMAP_SECURE',
    ],
    [{ DUBAN_IMAP_HOST: 'h', DUBAN_IMAP_PASSWORD: 'x' }, 'DUBAN_IMAP_USER'],
    [{ DUBAN_IMAP_HOST: 'h', DUBAN_IMAP_USER: 'u' }, 'DUBAN_IMAP_PASSWORD'],
    [{ DUBAN_IMAP_USER: 'u', DUBAN_IMAP_PASSWORD: 'x' }, 'DUBAN_IMAP_HOST'],
    [{ DUBAN_IMAP_URL: 'https://imap.example.org' }, 'DUBAN_IMAP_URL'],
    [{ DUBAN_IMAP_URL: 'imaps://imap.example.org' }, 'DUBAN_IMAP_URL'],
    [{ DUBAN_IMAP_URL: 'not a url' }, 'DUBAN_IMAP_URL'],
    [{ DUBAN_IMAP_URL: 'imaps://u:p@h', DUBAN_IMAP_HOST: 'h' }, 'DUBAN_IMAP_URL'],
    [
      { DUBAN_IMAP_HOST: 'h', DUBAN_IMAP_USER: 'u', DUBAN_IMAP_PASSWORD: 'x', DUBAN_IMAP_POLL_SECONDS: '0' },
      'DUBAN_IMAP_POLL_SECONDS',
    ],
  ])('%o is refused naming %s', (env, variable) => {
    let error: unknown;
    try {
      imapConfigFromEnv(env);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(MailRepliesError);
    expect(error).toMatchObject({ code: 'IMAP_SETTING', variable });
    expect((error as Error).message).toContain(variable);
  });
});

describe('the inbox ledger', () => {
  it('reads each UID once across a restart, and a second copy of a Message-ID as a duplicate', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'duban-inbox-')), 'mail-replies.sqlite');
    const ref = { account: 'duban@example.org@h', mailbox: 'INBOX', uidValidity: '7', uid: 3 };
    const first = new InboxLedger(file);
    expect(first.claim(ref, '<a@x>', 1)).toBe('new');
    expect(first.claim(ref, '<a@x>', 2)).toBe('seen');
    first.settle(ref, 'acted', undefined);
    first.close();
    const again = new InboxLedger(file);
    expect(again.lastUid(ref.account, 'INBOX', '7')).toBe(3);
    expect(again.claim(ref, '<a@x>', 3)).toBe('seen');
    expect(again.claim({ ...ref, uid: 4 }, '<a@x>', 3)).toBe('duplicate');
    // The mailbox rebuilt: the same message under a new UIDVALIDITY is still a duplicate.
    expect(again.claim({ ...ref, uidValidity: '8', uid: 1 }, '<a@x>', 3)).toBe('duplicate');
    expect(again.lastUid(ref.account, 'INBOX', '8')).toBe(1);
    again.close();
  });

  it('a failed reply comes due after its backoff; a claim a dead process left comes due after ACTING_STALE_MS', () => {
    const ledger = new InboxLedger();
    const ref = { account: 'a', mailbox: 'INBOX', uidValidity: '1', uid: 1 };
    ledger.claim(ref, undefined, 0);
    ledger.fail(ref, 'Temporal unreachable', 30_000);
    expect(ledger.due('a', 'INBOX', 29_999)).toEqual([]);
    expect(ledger.due('a', 'INBOX', 30_000).map((r) => r.status)).toEqual(['failed']);
    ledger.claim({ ...ref, uid: 2 }, undefined, 0);
    expect(ledger.due('a', 'INBOX', 60_000).map((r) => r.uid)).toEqual([1]);
    expect(ledger.due('a', 'INBOX', 5 * 60_000 + 1).map((r) => r.uid)).toEqual([1, 2]);
  });
});
