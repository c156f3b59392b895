/**
 * How a workflow sends a message: WeChat first when the campaign has a bot (in the bot's process, on its own
 * task queue), then email — to everyone when WeChat is off or failed, else to leaders and offices — and an
 * alert to the administrators whenever a channel fails or refuses recipients.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { PERMANENT_DELIVERY, WECHAT_UNAVAILABLE } from '../channels/errors';
import type { OutgoingMessage } from './types';

type Activities = ReturnType<typeof createActivities>;

const { notify, alertAdmins } = proxyActivities<Activities>({
  // One SMTP send (30 s socket timeout); a worker that died mid-send is noticed this soon and the send retried.
  startToCloseTimeout: '45 seconds',
  retry: {
    initialInterval: '10 seconds',
    backoffCoefficient: 2,
    maximumInterval: '30 minutes',
    nonRetryableErrorTypes: [PERMANENT_DELIVERY],
  },
});

export function errorText(err: unknown): string {
  const e = err as { cause?: { message?: string }; message?: string };
  return e.cause?.message ?? e.message ?? String(err);
}

export interface Deliverer {
  deliver(msg: OutgoingMessage): Promise<void>;
  alert(key: string, at: number, text: string): Promise<void>;
}

/** `onAlert` lets the caller record the alert in its own history. */
export function makeDeliverer(wechatTaskQueue: string | undefined, onAlert: (text: string) => void = () => undefined): Deliverer {
  const wechat = wechatTaskQueue
    ? proxyActivities<Activities>({
        taskQueue: wechatTaskQueue,
        // Not picked up in time (bot process down) counts as failed: email takes over.
        scheduleToCloseTimeout: '20 minutes',
        startToCloseTimeout: '2 minutes',
        retry: { initialInterval: '30 seconds', maximumAttempts: 4, nonRetryableErrorTypes: [WECHAT_UNAVAILABLE, PERMANENT_DELIVERY] },
      })
    : undefined;
  // Best effort: an alert that cannot be sent (the same SMTP server refusing) must not fail the workflow.
  const alert = async (key: string, at: number, text: string) => {
    try {
      await alertAdmins({ key, at, text });
      onAlert(text);
    } catch (err) {
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
      } catch (err) {
        // A permanent email failure: nothing more to try by email; tell the administrators.
        await alert(`${msg.key}#email-failed`, msg.at, `邮件发送失败（不再重试）：${msg.subject}（${errorText(err)}）`);
      }
    },
  };
}
