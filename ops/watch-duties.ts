/**
 * The duban_duties gauge. Duty levels live in workflow state; outside it, the campaign's ledger (the query
 * the dashboard reads) is where they are known, and only the process that started the campaign knows which
 * campaign that is. It asks every `everyMs`: the gauge is as fresh as the last answer.
 */
import type { Client } from '@temporalio/client';
import { dutiesByLevel, type DubanMetrics } from './metrics';
import { readCampaignLedger } from '../campaigns/ledger-read';

export const DUTIES_REFRESH_MS = 15_000;

export function watchDuties(deps: { client: Client; campaignWorkflowId: string; metrics: DubanMetrics; everyMs?: number; onError?: (err: unknown) => void }): () => void {
  const refresh = () => {
    readCampaignLedger(deps.client.workflow.getHandle(deps.campaignWorkflowId))
      .then((ledger) => deps.metrics.duties(dutiesByLevel(ledger)))
      // Left as it was: a stale gauge beside a failing /healthz says more than zeros would.
      .catch((err: unknown) => deps.onError?.(err));
  };
  refresh();
  const timer = setInterval(refresh, deps.everyMs ?? DUTIES_REFRESH_MS);
  timer.unref();
  return () => clearInterval(timer);
}
