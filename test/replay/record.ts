/**
 * Records workflow histories for the replay test: `npx tsx test/replay/record.ts`. Run it when a workflow
 * is released (each history file names the commit it was recorded at); never edit a recorded file.
 * Recorded: the campaign, and duties of every kind and path (dated, past-due, recurring, progress, quota;
 * acknowledged, extended, rejected, escalated).
 */
import { execSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { temporal } from '@temporalio/proto';
import { simulateYear } from '../../cli/simulate';
import { personaOf } from '../../cli/simulated-people';
import { startTestServer } from '../../servers/processes';
import { attachTimeSkipping } from '../../servers/time-skipping';

async function main() {
  const server = await startTestServer();
  const env = await attachTimeSkipping(server.address);
  try {
    const result = await simulateYear({ year: 2022, replies: 'mixed', env, taskQueue: 'record' });
    const commit = execSync('git rev-parse --short HEAD', { encoding: 'utf8' }).trim();
    const pick = new Map<string, string>();
    pick.set('campaign', result.campaignWorkflowId);
    for (const e of result.ledger) {
      const persona = personaOf(e.dutyId, 'mixed') ?? 'none';
      const past = e.deadline === '2022-03-31' ? '-past-due' : '';
      const name = `duty-${e.kind}${past}-${persona}`;
      if (!pick.has(name)) pick.set(name, e.dutyId);
    }
    for (const [name, workflowId] of pick) {
      const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
      // Binary protobuf: the SDK's JSON helpers trip over two protobufjs copies in this release.
      const file = join(__dirname, `${name}.${commit}.pb`);
      writeFileSync(file, temporal.api.history.v1.History.encode(history).finish());
      process.stdout.write(`${file} (${history.events?.length ?? 0} events)\n`);
    }
  } finally {
    await env.teardown();
    await server.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
