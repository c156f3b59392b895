/**
 * Activities, built by a factory that receives the clients they use (dependency injection). The main
 * worker has `notify` and `alertAdmins` (email, outbox); the WeChat bot's worker has `deliverWechat`.
 */
import { ApplicationFailure } from '@temporalio/common';
import { PERMANENT_DELIVERY, permanentDelivery } from '../channels/errors';
import { Context } from '@temporalio/activity';
import { noopMetricMeter } from '@temporalio/common';
import { metricsOf, type DubanMetrics, type FailedChannel } from '../ops/metrics';
import { resolveRecipients, type ResolvedPerson } from '../channels/recipients';
import { coordinatorUnits, type WecomReport, type WecomSender } from '../channels/wecom';
import type { CardReport, WecomCardSender } from '../channels/wecom-card-sender';
import { linksFor, type LinkSigner } from '../links/actions';
import type { EmailSender } from '../channels/email';
import type { Directory } from '../plan/directory';
import type { OutgoingMessage } from '../workflows/types';
import { createDutyStarter } from './start-duties';

/** Where outgoing messages are recorded (the outbox the dashboard shows; the simulator's transcript). */
export interface Channel {
  /** Records a message; records a given `key` at most once. */
  deliver(message: OutgoingMessage): Promise<void>;
}

export interface WechatSender {
  /** Sends to the unit's group with @mentions, or to people directly; throws wechatUnavailable when it cannot. */
  send(message: OutgoingMessage): Promise<{ delivered: string[] }>;
  /** Messages the administrators who have a WeChat id in the directory; throws when it reaches none. */
  sendToAdmins(message: OutgoingMessage): Promise<void>;
}

export interface ActivityDeps {
  channel?: Channel;
  email?: EmailSender;
  directory?: Directory;
  wechat?: WechatSender;
  /** Action links in emails (DUBAN_PUBLIC_URL set): each person then gets their own copy with their links. */
  links?: LinkSigner;
  /** WeCom group robots (units with `wecomWebhook`, or the county's): coordinators reached there get no email. */
  wecom?: WecomSender;
  /** Morning messages as WeCom smart-robot cards to coordinators with a `wecom` userid: those reached get nothing else. */
  wecomCards?: WecomCardSender;
}

export interface NotifyOptions {
  /** Coordinators get email too: WeChat is not configured or failed for this message. */
  includeCoordinators: boolean;
  /** Units whose coordinators get email even so (WeChat reached the others). */
  coordinatorUnits?: string[];
  /** A line shown above the message (e.g. why it came by email). */
  note?: string;
}

export interface DeliveryReport {
  channel: 'email' | 'outbox' | 'wechat';
  accepted: string[];
  rejected: string[];
}

export interface AdminAlert {
  key: string;
  at: number;
  text: string;
}

/** Attempts at a WeCom post (the activity's own retries, 10 s, 20 s apart) before its units go by email. */
export const WECOM_ATTEMPTS = 3;

/**
 * duban's counters on this activity's metric meter (the worker's Prometheus /metrics); no-op outside an
 * activity, e.g. a test calling one directly.
 */
function metrics(): DubanMetrics {
  let meter;
  try {
    meter = Context.current().metricMeter;
  } catch {
    meter = noopMetricMeter;
  }
  return metricsOf(meter);
}

/** This activity's attempt number (1 outside an activity, e.g. a test calling it directly). */
function attempt(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    return 1;
  }
}

export function createActivities({ channel, email, directory, wechat, links, wecom, wecomCards }: ActivityDeps) {
  const alertAdmins = async (alert: AdminAlert): Promise<void> => {
    const message = adminMessage(alert);
    await channel?.deliver(message);
    const admins = (directory?.admins ?? []).flatMap((a) => (a.email ? [a.email] : []));
    if (email && admins.length) {
      const sent = await counted('email', () => email.send(message, admins));
      if (sent.accepted.length || sent.duplicate) metrics().messageSent('email', message.kind);
    }
    if (channel) metrics().messageSent('outbox', message.kind);
  };
  /** A channel's attempt, counted as a delivery failure when it throws. */
  const counted = async <T>(channel: FailedChannel, send: () => Promise<T>): Promise<T> => {
    try {
      return await send();
    } catch (err) {
      metrics().deliveryFailed(channel);
      throw err;
    }
  };
  /**
   * Email to these people: one copy for all, or with action links one copy per person (their own links).
   * `went`: some copy was accepted, now or by an earlier attempt (the ledger's duplicate), for the counters.
   */
  const sendEmail = async (message: OutgoingMessage, people: ResolvedPerson[], note?: string): Promise<DeliveryReport & { went: boolean }> => {
    if (!email || !directory) return { channel: 'outbox', accepted: [], rejected: [], went: false };
    if (!links) {
      const to = [...new Set(people.flatMap((p) => (p.email ? [p.email] : [])))];
      const report = await email.send(message, to, note);
      return { channel: 'email', accepted: report.accepted, rejected: report.rejected, went: report.accepted.length > 0 || report.duplicate === true };
    }
    // Each copy is its own ledger key (exactly once per person); a forwarded mail's links still name its first reader.
    const accepted: string[] = [];
    const rejected: string[] = [];
    let went = false;
    const seen = new Set<string>();
    for (const p of people) {
      if (!p.email || seen.has(p.email)) continue;
      seen.add(p.email);
      try {
        const report = await email.send({ ...message, key: `${message.key}#${p.email}` }, [p.email], note, linksFor(links, directory, message, p));
        accepted.push(...report.accepted);
        rejected.push(...report.rejected);
        went ||= report.accepted.length > 0 || report.duplicate === true;
      } catch (err) {
        // One address refused for good does not stop the others; anything retryable retries the activity
        // (copies already sent are in the ledger and not sent again).
        if (err instanceof ApplicationFailure && err.type === PERMANENT_DELIVERY) rejected.push(p.email);
        else throw err;
      }
    }
    if (accepted.length === 0 && rejected.length > 0) throw permanentDelivery(`邮件服务器拒收全部收件人：${rejected.join('、')}`);
    return { channel: 'email', accepted, rejected, went };
  };
  return {
    /**
     * The one channel-agnostic way a message leaves duban: the outbox; WeCom for the coordinators WeChat did not
     * reach whose units have a robot; email to everyone else with an address. Email goes before WeCom's trouble
     * can stop it: a robot that is rate-limited or unreachable is tried again by the activity's retries (email
     * already sent is in the ledger), and after WECOM_ATTEMPTS its units' coordinators get the message by email.
     */
    async notify(message: OutgoingMessage, options: NotifyOptions = { includeCoordinators: true }): Promise<DeliveryReport> {
      await channel?.deliver(message);
      const wantCoordinators = (unit: string) => options.includeCoordinators || !!options.coordinatorUnits?.includes(unit);
      // Cards first: a unit a card reached is not posted to again by its group robot, and whom it reached get no email.
      const cards: CardReport = wecomCards && directory ? await wecomCards.send(message, coordinatorUnits(directory, message).filter(wantCoordinators)) : { reached: [], failed: [] };
      const carded = new Set(cards.reached.map((r) => r.unit));
      const byCard = (p: ResolvedPerson) => p.role === 'coordinators' && !!p.wecom && cards.reached.some((r) => r.unit === p.unit && r.userid === p.wecom);
      const report: WecomReport =
        wecom && directory ? await wecom.send(message, coordinatorUnits(directory, message).filter((u) => wantCoordinators(u) && !carded.has(u))) : { delivered: [], failed: [], pending: [] };
      if (report.pending.length && attempt() >= WECOM_ATTEMPTS) {
        report.failed.push(...report.pending);
        report.pending = [];
      }
      const routedUnits = new Set([...report.delivered, ...report.failed.map((f) => f.unit), ...report.pending.map((f) => f.unit)]);
      // Who reads this message by email: leaders and offices; coordinators of units WeCom does not serve; and in
      // units it reached, those it did not reach personally — in the county group (no personal links) those with
      // action links still get their email, the copy they can act from. Units it failed or has pending go below.
      const byEmail = (p: ResolvedPerson) => {
        if (p.role !== 'coordinators') return true;
        if (byCard(p)) return false;
        if (!wantCoordinators(p.unit)) return false;
        if (!routedUnits.has(p.unit)) return true;
        const reached = wecom?.reaches(p.unit, p) === true && (!links || !!directory?.units[p.unit]?.wecomWebhook);
        return report.delivered.includes(p.unit) && !reached;
      };
      let result: DeliveryReport = { channel: 'outbox', accepted: [], rejected: [] };
      let emailWent = false;
      if (email && directory) {
        const everyone = resolveRecipients(directory, message.recipients);
        const { went, ...main } = await counted('email', () => sendEmail(message, everyone.filter(byEmail), options.note));
        emailWent = went;
        result = main;
        // Units WeCom could not reach: their coordinators by email, a copy of its own (the main one may have gone
        // in an earlier attempt), and the administrators told.
        const fallback = everyone.filter((p) => p.role === 'coordinators' && report.failed.some((f) => f.unit === p.unit));
        if (fallback.length) {
          const extra = await counted('email', () => sendEmail({ ...message, key: `${message.key}#wecom-fallback` }, fallback, '（企业微信未能送达，改由邮件发送）'));
          emailWent ||= extra.went;
          result = { channel: 'email', accepted: [...result.accepted, ...extra.accepted], rejected: [...result.rejected, ...extra.rejected] };
        }
      }
      for (const f of report.failed) {
        await alertAdmins({ key: `${message.key}#wecom-failed#${f.unit}`, at: message.at, text: `企业微信机器人发送失败，${f.unit} 已改发邮件：${message.subject}（${f.reason}）。请核对单位通讯录中的 wecomWebhook。` }).catch(
          () => undefined,
        );
      }
      const counters = metrics();
      if (report.failed.length || report.pending.length) counters.deliveryFailed('wecom');
      // Still worth trying: fail this attempt (retryable) so the activity's retry posts what is left.
      if (report.pending.length) throw new Error(`企业微信暂未送达 ${report.pending.map((p) => p.unit).join('、')}：${report.pending[0]!.reason}（稍后重试）`);
      // Counted once, by the attempt that completes: what earlier attempts sent is in the ledger.
      if (channel) counters.messageSent('outbox', message.kind);
      if (emailWent) counters.messageSent('email', message.kind);
      if (report.delivered.length || cards.reached.length) counters.messageSent('wecom', message.kind);
      if (cards.failed.length) counters.deliveryFailed('wecom');
      if (result.rejected.length) counters.deliveryFailed('email');
      return result;
    },

    /** Tells the administrators something needs a person: a channel failed, an address was refused. */
    alertAdmins,

    /** A campaign's batch of duties, started through the worker's client (activities/start-duties.ts). */
    startDuties: createDutyStarter(),

    /** The administrators by WeChat, when the email alert failed (the bot's process). */
    async alertAdminsWechat(alert: AdminAlert): Promise<void> {
      if (!wechat) throw new Error('this worker has no WeChat bot');
      await counted('wechat', () => wechat.sendToAdmins({ ...adminMessage(alert), key: `${alert.key}#wechat` }));
      metrics().messageSent('wechat', 'alert');
    },

    /** Runs only in the WeChat bot's process, which holds the login. */
    async deliverWechat(message: OutgoingMessage): Promise<DeliveryReport> {
      if (!wechat) throw new Error('this worker has no WeChat bot');
      const { delivered } = await counted('wechat', () => wechat.send(message));
      if (delivered.length) metrics().messageSent('wechat', message.kind);
      return { channel: 'wechat', accepted: delivered, rejected: [] };
    },
  };
}

function adminMessage(alert: AdminAlert): OutgoingMessage {
  return { key: alert.key, kind: 'alert', toUnits: [], recipients: [], level: 'yellow', at: alert.at, subject: '【督办系统告警】', text: alert.text };
}
