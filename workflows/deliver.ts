/**
 * How a workflow sends a message: WeChat first when the campaign has a bot (in the bot's process, on its own
 * task queue), then email — to everyone when WeChat is off or failed, else to leaders and offices — and an
 * alert to the administrators whenever a channel fails or refuses recipients.
 */
import { ActivityFailure, ApplicationFailure, TimeoutFailure, patched, proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { PERMANENT_DELIVERY, WECHAT_UNAVAILABLE } from '../channels/errors';
import type { DeliveryTimings, OutgoingMessage } from './types';

type Activities = ReturnType<typeof createActivities>;

export const WECHAT_PICKUP_SECONDS = 20 * 60;
export const WECHAT_ATTEMPTS = 4;
/** 10 s, 20 s, … capped at 10 min: eight attempts span about 25 minutes, so an SMTP outage holds a duty's
 * loop (its next reminder, its escalation) that long at most, not for as long as the outage lasts. */
export const EMAIL_ATTEMPTS = 8;
/** An alert is tried briefly: when it cannot go by email it goes by WeChat, and it is in the history anyway. */
const ALERT_ATTEMPTS = 3;
/** The administrators are told by WeChat only when the email alert itself failed (patched in 0.3.0). */
export const ALERT_BY_WECHAT_PATCH = 'alert-by-wechat';

export function errorText(err: unknown): string {
  const e = err as { cause?: { message?: string }; message?: string };
  return e.cause?.message ?? e.message ?? String(err);
}

/**
 * A message that email could not deliver either, after WeChat was off or failed for these units: the caller puts it
 * on the duty's record and in the ledger (「未送达」), so that nobody reads a reminder that never arrived as sent.
 */
export interface Undelivered {
  units: string[];
  reason: string;
}

export interface Deliverer {
  /** Undefined when every unit was reached (by WeChat or email); what was not, otherwise. */
  deliver(msg: OutgoingMessage): Promise<Undelivered | undefined>;
  alert(key: string, at: number, text: string): Promise<void>;
}

/** `onAlert` lets the caller record the alert in its own history. */
/**
 * WeChat failed for everyone, not for one contact: the bot's process did not pick the send up in time, or the bot
 * said it is logged out. The desk then sends the rest of its morning by email (0.9.0) instead of waiting out the
 * pick-up time once per message.
 */
export function wechatDown(err: unknown): boolean {
  if (!(err instanceof ActivityFailure)) return false;
  const cause = err.cause;
  if (cause instanceof ApplicationFailure) return cause.type === WECHAT_UNAVAILABLE;
  if (!(cause instanceof TimeoutFailure)) return false;
  if (cause.timeoutType === 'SCHEDULE_TO_CLOSE' || cause.timeoutType === 'SCHEDULE_TO_START') return true;
  // A bot that took the send and then ran out of time is stuck on that message, not gone: 0.9.1 keeps WeChat on for
  // the rest (0.9.0 turned it off; asked only on such a timeout, so runs before replay as they ran).
  return !patched(WECHAT_DOWN_PICKUP_PATCH);
}

/** 0.9.1: only a send nobody picked up (or the bot's own 'logged out') counts as WeChat down. */
export const WECHAT_DOWN_PICKUP_PATCH = 'wechat-down-pickup-only';

export function makeDeliverer(
  wechatTaskQueue: string | undefined,
  onAlert: (text: string) => void = () => undefined,
  timings: DeliveryTimings = {},
  onWechatDown?: () => void,
): Deliverer {
  const { notify } = proxyActivities<Activities>({
    // SMTP sends (30 s socket timeout each; one per person when messages carry links) and WeCom posts (each may
    // wait up to 30 s for its robot's minute); a worker that died mid-send is noticed this soon and retried.
    startToCloseTimeout: '2 minutes',
    retry: {
      initialInterval: `${timings.emailRetrySeconds ?? 10} seconds`,
      backoffCoefficient: 2,
      maximumInterval: '10 minutes',
      maximumAttempts: timings.emailAttempts ?? EMAIL_ATTEMPTS,
      nonRetryableErrorTypes: [PERMANENT_DELIVERY],
    },
  });
  const { alertAdmins } = proxyActivities<Activities>({
    startToCloseTimeout: '45 seconds',
    retry: { initialInterval: '10 seconds', backoffCoefficient: 2, maximumAttempts: ALERT_ATTEMPTS, nonRetryableErrorTypes: [PERMANENT_DELIVERY] },
  });
  const wechat = wechatTaskQueue
    ? proxyActivities<Activities>({
        taskQueue: wechatTaskQueue,
        // Not picked up in time (bot process down) counts as failed: email takes over.
        scheduleToCloseTimeout: `${timings.wechatPickupSeconds ?? WECHAT_PICKUP_SECONDS} seconds`,
        startToCloseTimeout: '2 minutes',
        retry: {
          initialInterval: `${timings.wechatRetrySeconds ?? 30} seconds`,
          maximumAttempts: WECHAT_ATTEMPTS,
          nonRetryableErrorTypes: [WECHAT_UNAVAILABLE, PERMANENT_DELIVERY],
        },
      })
    : undefined;
  const wechatAlert = wechatTaskQueue
    ? proxyActivities<Activities>({
        taskQueue: wechatTaskQueue,
        scheduleToCloseTimeout: '5 minutes',
        startToCloseTimeout: '1 minute',
        retry: { maximumAttempts: 2, nonRetryableErrorTypes: [WECHAT_UNAVAILABLE, PERMANENT_DELIVERY] },
      })
    : undefined;
  // Best effort: an alert that cannot be sent must not fail the workflow. When email is what failed (the
  // same SMTP server is down), the administrators hear by WeChat where the bot runs; either way the alert is in
  // the outbox (the dashboard) and in the caller's history.
  const alert = async (key: string, at: number, text: string) => {
    try {
      await alertAdmins({ key, at, text });
      onAlert(text);
    } catch (err) {
      if (wechatAlert && patched(ALERT_BY_WECHAT_PATCH)) {
        try {
          await wechatAlert.alertAdminsWechat({ key, at, text });
          onAlert(`${text}（邮件告警未能发出，已经微信告知管理员）`);
          return;
        } catch {
          // Neither channel: recorded below.
        }
      }
      onAlert(`${text}（告警未能发出：${errorText(err)}）`);
    }
  };
  return {
    alert,
    async deliver(msg) {
      let reached: string[] | undefined;
      if (wechat) {
        try {
          reached = (await wechat.deliverWechat(msg)).accepted;
        } catch (err) {
          if (onWechatDown && wechatDown(err)) onWechatDown();
          await alert(`${msg.key}#wechat-failed`, msg.at, `微信发送失败，已改发邮件：${msg.subject}（${errorText(err)}）`);
        }
      }
      // Coordinators WeChat did not reach (no WeChat, it failed, or their unit has no group or contact) get email.
      const unreached = [...new Set(msg.recipients.filter((r) => r.role === 'coordinators' && !reached?.includes(r.unit)).map((r) => r.unit))];
      try {
        const report = await notify(msg, {
          includeCoordinators: reached === undefined,
          coordinatorUnits: unreached,
          ...(wechat && unreached.length ? { note: '（微信未能送达，改由邮件发送）' } : {}),
        });
        if (report.rejected.length) {
          await alert(`${msg.key}#rejected`, msg.at, `以下邮箱拒收「${msg.subject}」：${report.rejected.join('、')}。请核对单位通讯录。`);
        }
        return undefined;
      } catch (err) {
        // A permanent email failure: nothing more to try by email; tell the administrators.
        await alert(`${msg.key}#email-failed`, msg.at, `邮件发送失败（不再重试，本条未送达）：${msg.subject}（${errorText(err)}）`);
        // The units email was for: all of them when WeChat was off or failed, else those WeChat did not reach.
        const units = reached === undefined ? msg.toUnits : unreached;
        return units.length ? { units, reason: errorText(err) } : undefined;
      }
    },
  };
}
