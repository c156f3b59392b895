/**
 * One interface for every chat platform duban hears and posts on: "a person in a chat said X" and "post this
 * to a person or a group". Each platform (wechaty, the WeCom smart robot, DingTalk Stream, email replies) turns
 * its own events into a `Heard` and hands it to one reply path (bot/replies.ts `answer`: the resolver and the
 * duties' Updates); the answer goes back in place (the same chat, thread or card).
 */
import type { ReplyChannel } from '../workflows/messages';

export interface Heard {
  channel: Exclude<ReplyChannel, 'cli' | 'page'>;
  /** The platform's own message id: a message delivered twice (a reconnect, a retry) is answered once. */
  messageId: string;
  /** The person's platform id (WeChat contact id, WeCom userid, DingTalk userid, email address) and display name. */
  from: { id: string; name: string; alias?: string };
  /** What the person wrote, without any quoted text (a platform with a quote field drops it before this). */
  text: string;
  /** Heard in a group (chatter there gets no answer) or one to one. */
  inGroup: boolean;
  /** Where an answer goes back: the chat, group, thread or card the message came from. */
  conversationId: string;
}

/** Where a post goes: one person by platform id, or a group/conversation by id. */
export type PostTarget = { person: string } | { conversation: string };

export interface ChatPlatform {
  readonly channel: Heard['channel'];
  /** Connects and starts hearing; every message heard goes to `onHeard`, whose answer (if any) is sent back in place. */
  start(onHeard: (heard: Heard) => Promise<string | undefined>): Promise<void>;
  post(to: PostTarget, text: string): Promise<void>;
  stop(): Promise<void>;
}
