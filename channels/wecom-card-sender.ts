/**
 * Morning messages to coordinators as WeCom smart-robot template cards (chat/wecom-cards.ts draws them): one card
 * per coordinator who has a `wecom` userid in the directory, sent one to one by the robot's long connection. A
 * coordinator the card reached gets no other copy of the message (one message per person per send instant); one it
 * did not reach — no userid, the robot not connected in this process, the server refusing — gets the message by the
 * channels it would have had without cards, unchanged.
 *
 * Each card is claimed in the send ledger (`<message key>#card#<userid>`, channel wecom-card) before it is sent, so an
 * activity retried after a partial send does not send the same card twice.
 *
 * A drop of the robot's connection while cards go out (chat/wecom-robot.ts): a robot that is reconnecting is waited
 * for (`ready`, bounded from the drop), and a card whose send the drop interrupted is sent again by the robot with
 * the same task_id, so every coordinator sees it once — never lost to email for a few seconds' reconnect, never a
 * card and an email both.
 */
import type { TemplateCard } from '@wecom/aibot-node-sdk';
import { morningCard } from '../chat/wecom-cards';
import type { Directory } from '../plan/directory';
import type { OutgoingMessage } from '../workflows/types';
import type { SendLedger } from './ledger';

/** What the sender needs of the robot (chat/wecom-robot.ts WecomRobot). */
export interface CardRobot {
  readonly connected: boolean;
  /** Up now, or back from a short drop in time; without it, a robot not connected now sends nothing. */
  ready?(): Promise<boolean>;
  postCard(chatid: string, card: TemplateCard): Promise<void>;
}

export interface CardReport {
  /** Coordinators a card reached (or an earlier attempt's card did), by unit and userid. */
  reached: { unit: string; userid: string }[];
  /** Cards tried and refused: these coordinators get the message by the other channels. */
  failed: { unit: string; userid: string; reason: string }[];
}

export interface CardSenderDeps {
  directory: Directory;
  ledger: SendLedger;
  /** The robot of this process, when it has one and it is started; read at each send (it connects after the worker). */
  robot: () => CardRobot | undefined;
}

const CHANNEL = 'wecom-card';

export function createWecomCardSender(deps: CardSenderDeps) {
  return {
    /** Sends the cards of `msg` to the coordinators of `units`; never throws (what failed is in `failed`). */
    async send(msg: OutgoingMessage, units: string[]): Promise<CardReport> {
      const report: CardReport = { reached: [], failed: [] };
      const robot = deps.robot();
      if (!msg.items || !robot) return report;
      const cards = units.flatMap((unit) =>
        (deps.directory.units[unit]?.coordinators ?? []).flatMap((person) => {
          const card = person.wecom ? morningCard(msg, unit, person.wecom) : undefined;
          return card && person.wecom ? [{ unit, userid: person.wecom, card }] : [];
        }),
      );
      // Waited for only when there is a card to send: a message with none goes at once, as before.
      if (!cards.length || (!robot.connected && !(await robot.ready?.()))) return report;
      for (const { unit, userid, card } of cards) {
        const key = `${msg.key}#card#${userid}`;
        const claim = deps.ledger.claim(key, CHANNEL);
        // Sent by an earlier attempt, or being sent by one still running: that card is theirs; no second copy.
        if (claim === 'sent' || claim === 'in-progress') {
          report.reached.push({ unit, userid });
          continue;
        }
        try {
          await robot.postCard(userid, card);
          deps.ledger.markSent(key, CHANNEL, card.task_id ?? '');
          report.reached.push({ unit, userid });
        } catch (err) {
          deps.ledger.release(key, CHANNEL);
          report.failed.push({ unit, userid, reason: err instanceof Error ? err.message : String(err) });
        }
      }
      return report;
    },
  };
}

export type WecomCardSender = ReturnType<typeof createWecomCardSender>;
