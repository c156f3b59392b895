/**
 * How a desk sends an instant's messages (0.9.0): in waves of DESK_WAVE at once, and WeChat given up for the rest of
 * the instant as soon as the bot is found not to pick up. Before, a desk sent up to 50 units one after another, and
 * with the bot's process down each WeChat send waited its 20-minute pick-up time: 30 units' 09:00 messages ended
 * near 19:00, with every digest behind them.
 *
 * The first message goes alone when WeChat is on: it finds out whether the bot picks up. Each later wave goes at
 * once; a wave in which the bot did not pick up (or said it is logged out) turns WeChat off for the waves after it,
 * and the administrators get one alert saying how many messages went by email instead. So the bot's absence costs
 * one pick-up time per instant, not one per message, and one alert, not one per unit.
 */
import { makeDeliverer } from './deliver';
import { deliverTelling } from './undelivered';
import type { DeliveryTimings, OutgoingMessage } from './types';

/** Messages sent at once: each is one activity, and a worker runs a few hundred at a time. */
export const DESK_WAVE = 50;
/** Asked once per desk run: a run that recorded it sends in waves. */
export const DESK_WAVES_PATCH = 'desk-waves';

export interface WaveOptions {
  wechatTaskQueue?: string;
  delivery?: DeliveryTimings;
  deskId: string;
  /** The instant being sent (workflow time): the alert's key and time. */
  at: number;
  /**
   * The desk's home id when it runs in shards (0.9.1): every shard finds the bot down at the same instant, and the
   * alert's key is then the same on all of them, so the administrators get one alert (the send ledger keeps a key
   * once), not one per shard.
   */
  alertDesk?: string;
}

/** Whether the bot was found down during the instant: what the desk sends after (the digests) then goes by email. */
export async function sendInWaves(messages: OutgoingMessage[], o: WaveOptions): Promise<{ wechatDown: boolean }> {
  let found = false;
  let wechat = o.wechatTaskQueue;
  for (let i = 0; i < messages.length; ) {
    const size = i === 0 && wechat ? 1 : DESK_WAVE;
    const wave = messages.slice(i, i + size);
    i += wave.length;
    let down = false;
    const deliverer = makeDeliverer(wechat, undefined, o.delivery, () => {
      down = true;
    });
    await Promise.all(wave.map((m) => deliverTelling(deliverer.deliver, m)));
    if (down) found = true;
    if (down && wechat && i < messages.length) {
      wechat = undefined;
      const rest = messages.length - i;
      const text = o.alertDesk
        ? '微信机器人未接收发送任务（未登录或进程未运行），本时点其余消息改由邮件发送。请检查机器人。'
        : `微信机器人未接收发送任务（未登录或进程未运行），本时点其余 ${rest} 条消息改由邮件发送。请检查机器人。`;
      await deliverer.alert(`${o.alertDesk ?? o.deskId}/wechat-down/${o.at}`, o.at, text);
    }
  }
  return { wechatDown: found };
}
