/** 0.1.0's digest timing, kept for campaigns started before the digest-slots patch (see below). */
import { condition } from '@temporalio/workflow';
import { isOfficeHours, nextOfficeInstant, REMINDER_MIN, shanghaiDate, shanghaiInstant, shiftWorkingDays, type WorkCalendar } from '../calendar/working-days';
import { nextWeeklyDigest } from './digest-slots';
import type { CampaignInput } from './expand';

export interface LegacyDigestContext {
  input: CampaignInput;
  cal: WorkCalendar;
  now: () => number;
  digestsOn: boolean;
  redTurns: () => number;
  allEnded: () => boolean;
  continueNeeded: () => boolean;
  continueWith: (carried: Partial<NonNullable<CampaignInput['carried']>>) => Promise<void>;
  sendDigest: (reason: 'weekly' | 'red', at: number) => Promise<void>;
}

/**
 * 0.1.0's digest loop, kept unchanged for campaigns started before the digest-slots patch so their histories
 * replay: weekly at 09:00, red digests as soon as a duty's report arrives. Ends when every duty has ended.
 * Remove after `deprecatePatch(DIGEST_SLOTS_PATCH)` once no such campaign runs.
 */
export async function legacyDigests(c: LegacyDigestContext): Promise<void> {
  const { cal, now, digestsOn } = c;
  let redSeen = 0;
  let weeklyAt = c.input.carried?.weeklyAt ?? nextWeeklyDigest(cal, now(), REMINDER_MIN);
  let redDigestDay = c.input.carried?.redDigestDay ?? '';
  const redPending = () => digestsOn && c.redTurns() > redSeen;
  const redAt = () =>
    redDigestDay === shanghaiDate(now()) ? shanghaiInstant(shiftWorkingDays(cal, shanghaiDate(now()), 1)) : nextOfficeInstant(cal, now());
  while (!c.allEnded()) {
    const seenRed = c.redTurns();
    const nextAt = Math.min(weeklyAt, redPending() ? redAt() : Number.MAX_SAFE_INTEGER);
    await condition(() => c.allEnded() || c.redTurns() !== seenRed || c.continueNeeded(), Math.max(1, nextAt - now()));
    if (c.allEnded()) break;
    if (now() >= weeklyAt && isOfficeHours(cal, now())) {
      if (digestsOn) await c.sendDigest('weekly', now() - weeklyAt < 60_000 ? weeklyAt : now());
      redSeen = c.redTurns();
      weeklyAt = nextWeeklyDigest(cal, now() + 60_000, REMINDER_MIN);
    } else if (now() >= weeklyAt) {
      weeklyAt = nextOfficeInstant(cal, now());
    } else if (redPending() && now() >= redAt() && isOfficeHours(cal, now())) {
      redSeen = c.redTurns();
      redDigestDay = shanghaiDate(now());
      await c.sendDigest('red', now());
    }
    if (c.continueNeeded()) await c.continueWith({ redDigestDay, redPending: redPending(), weeklyAt });
  }
}
