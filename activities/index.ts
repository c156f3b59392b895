/**
 * Activities, built by a factory that receives the clients they use (dependency injection). The main
 * worker has `notify` and `alertAdmins` (email, outbox); the WeChat bot's worker has `deliverWechat`.
 */
import { ApplicationFailure } from '@temporalio/common';
import { PERMANENT_DELIVERY, permanentDelivery } from '../channels/errors';
import { resolveRecipients } from '../channels/recipients';
import { coordinatorUnits, type WecomSender } from '../channels/wecom';
import { linksFor, type LinkSigner } from '../links/actions';
import type { EmailSender } from '../channels/email';
import type { Directory } from '../plan/directory';
import type { OutgoingMessage } from '../workflows/types';

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

export function createActivities({ channel, email, directory, wechat, links, wecom }: ActivityDeps) {
  const alertAdmins = async (alert: AdminAlert): Promise<void> => {
    const message = adminMessage(alert);
    await channel?.deliver(message);
    const admins = (directory?.admins ?? []).flatMap((a) => (a.email ? [a.email] : []));
    if (email && admins.length) await email.send(message, admins);
  };
  return {
    /** The one channel-agnostic way a message leaves duban: outbox, and email to whoever has an address. */
    async notify(message: OutgoingMessage, options: NotifyOptions = { includeCoordinators: true }): Promise<DeliveryReport> {
      await channel?.deliver(message);
      // WeCom first, for the coordinators WeChat did not reach; a unit whose robot key is wrong falls to email.
      let wecomReached: string[] = [];
      if (wecom && directory) {
        const units = options.includeCoordinators ? coordinatorUnits(directory, message) : (options.coordinatorUnits ?? []);
        const report = await wecom.send(message, units);
        wecomReached = report.delivered;
        for (const f of report.failed) {
          await alertAdmins({ key: `${message.key}#wecom-failed#${f.unit}`, at: message.at, text: `企业微信机器人发送失败，${f.unit} 已改发邮件：${message.subject}（${f.reason}）。请核对单位通讯录中的 wecomWebhook。` }).catch(
            () => undefined,
          );
        }
      }
      if (!email || !directory) return { channel: 'outbox', accepted: [], rejected: [] };
      const people = resolveRecipients(directory, message.recipients).filter(
        (p) => (options.includeCoordinators || p.role !== 'coordinators' || options.coordinatorUnits?.includes(p.unit)) && !(p.role === 'coordinators' && wecomReached.includes(p.unit)),
      );
      if (links) {
        // One copy per person, each with links that name that person: a forwarded mail's links still act as
        // its first reader only, and the page says so. Each copy is its own ledger key (exactly once per person).
        const accepted: string[] = [];
        const rejected: string[] = [];
        const seen = new Set<string>();
        for (const p of people) {
          if (!p.email || seen.has(p.email)) continue;
          seen.add(p.email);
          try {
            const report = await email.send({ ...message, key: `${message.key}#${p.email}` }, [p.email], options.note, linksFor(links, directory, message, p));
            accepted.push(...report.accepted);
            rejected.push(...report.rejected);
          } catch (err) {
            // One address refused for good does not stop the others; anything retryable retries the activity
            // (copies already sent are in the ledger and not sent again).
            if (err instanceof ApplicationFailure && err.type === PERMANENT_DELIVERY) rejected.push(p.email);
            else throw err;
          }
        }
        if (accepted.length === 0 && rejected.length > 0) throw permanentDelivery(`邮件服务器拒收全部收件人：${rejected.join('、')}`);
        return { channel: 'email', accepted, rejected };
      }
      const to = [...new Set(people.flatMap((p) => (p.email ? [p.email] : [])))];
      const report = await email.send(message, to, options.note);
      return { channel: 'email', accepted: report.accepted, rejected: report.rejected };
    },

    /** Tells the administrators something needs a person: a channel failed, an address was refused. */
    alertAdmins,

    /** The administrators by WeChat, when the email alert failed (the bot's process). */
    async alertAdminsWechat(alert: AdminAlert): Promise<void> {
      if (!wechat) throw new Error('this worker has no WeChat bot');
      await wechat.sendToAdmins({ ...adminMessage(alert), key: `${alert.key}#wechat` });
    },

    /** Runs only in the WeChat bot's process, which holds the login. */
    async deliverWechat(message: OutgoingMessage): Promise<DeliveryReport> {
      if (!wechat) throw new Error('this worker has no WeChat bot');
      const { delivered } = await wechat.send(message);
      return { channel: 'wechat', accepted: delivered, rejected: [] };
    },
  };
}

function adminMessage(alert: AdminAlert): OutgoingMessage {
  return { key: alert.key, kind: 'alert', toUnits: [], recipients: [], level: 'yellow', at: alert.at, subject: '【督办系统告警】', text: alert.text };
}
