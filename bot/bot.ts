/**
 * The WeChat bot: named handlers registered in one place. `onMessage` guards first (own messages, old
 * messages, non-text), then hands the text to `answer` (parse → Update) and says the result.
 */
import { types, type Message, type Wechaty } from 'wechaty';
import { answer, type ReplyContext } from './replies';

/** Messages older than this when they reach the bot (it was offline) are not acted on. */
export const MAX_MESSAGE_AGE_SECONDS = 10 * 60;

export interface BotHooks {
  onScan?: (qrcode: string, status: number) => void;
  log?: (line: string) => void;
}

export function registerHandlers(bot: Wechaty, ctx: ReplyContext, hooks: BotHooks = {}): void {
  const log = hooks.log ?? (() => undefined);

  const onScan = (qrcode: string, status: number) => hooks.onScan?.(qrcode, status);
  const onLogin = (user: { name(): string }) => log(`微信已登录 logged in: ${user.name()}`);
  const onLogout = (user: { name(): string }) => log(`微信已退出 logged out: ${user.name()}`);

  const onMessage = async (msg: Message) => {
    if (msg.self()) return;
    if (msg.age() > MAX_MESSAGE_AGE_SECONDS) return;
    if (msg.type() !== types.Message.Text) return;
    const talker = msg.talker();
    const room = msg.room();
    const reply = await answer(
      ctx,
      { id: talker.id, name: talker.name(), ...(await aliasOf(talker, room)) },
      msg.text(),
      room !== undefined,
    );
    if (reply === undefined) return;
    if (room) await room.say(reply, talker);
    else await talker.say(reply);
  };

  // The groups the account is in, with their ids, for the directory's wechatGroupId.
  const onReady = async () => {
    for (const room of await bot.Room.findAll()) log(`微信群 group: ${await room.topic()}  wechatGroupId: ${room.id}`);
  };

  bot.on('scan', onScan);
  bot.on('ready', () => {
    onReady().catch((err: unknown) => log(`列出微信群失败 listing groups failed: ${String(err)}`));
  });
  bot.on('login', onLogin);
  bot.on('logout', onLogout);
  bot.on('message', (msg) => {
    onMessage(msg).catch((err: unknown) => log(`处理消息失败 message handling failed: ${String(err)}`));
  });
}

async function aliasOf(talker: Message['talker'] extends () => infer C ? C : never, _room: ReturnType<Message['room']>) {
  try {
    // The remark our account set (not the member's self-chosen group nickname).
    const alias = await talker.alias();
    return alias ? { alias } : {};
  } catch {
    return {};
  }
}
