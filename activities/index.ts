/** Activities, built by a factory that receives the clients they use (dependency injection). */
import type { OutgoingMessage } from '../workflows/types';

/** Where outgoing messages go; email and WeChat channels implement this too. */
export interface Channel {
  /** Delivers a message; must deliver a given `key` at most once. */
  deliver(message: OutgoingMessage): Promise<void>;
}

export interface ActivityDeps {
  channel: Channel;
}

export function createActivities({ channel }: ActivityDeps) {
  return {
    /** The one channel-agnostic way a message leaves duban. */
    async notify(message: OutgoingMessage): Promise<void> {
      await channel.deliver(message);
    },
  };
}
