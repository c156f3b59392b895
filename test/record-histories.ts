/**
 * Records a release's workflow histories for the replay test: `npm run record` (at a release, once). Writes
 * test/replay/<package version>/ and adds each file with its SHA-256 to test/replay/manifest.json; refuses a
 * version already recorded. Recorded files are never renamed, changed or deleted (the replay test fails if
 * one is), so every later release replays them.
 *
 * The recording covers every path it can reach:
 * - a mixed year of the seed plan on the time-skipping server: the campaign and duties of every kind and persona
 *   (acknowledged, completed, extended, rejected, escalated, silent, past due) and refused attempts recorded on
 *   a duty;
 * - duties that continue as new (a low history threshold), run alone on the time-skipping server to their end;
 * - on the dev server (real time, about a minute), a campaign with the WeChat task queue, whose sends fail for
 *   some units (email fallback, administrator alerts), continuing as new both while starting its duties and in
 *   its main loop, a duty of it that takes an extension request (a message a reply prompts, by WeChat), and a
 *   calendar loaded mid-run (from 0.3.0's recording on).
 *   Not under time skipping: there the Java test server stopped the clock for good in 0.2.0's recording runs
 *   both when a child workflow completed after its parent continued as new and, in a year with the WeChat task
 *   queue, at a duty's end (cause not found); a real server does neither.
 * - from 0.9.1's recording on, on the dev server (about four minutes), a desk in three shards raised to five, with
 *   its limits lowered so that a few dozen items take a city's paths (test/record-desk-shards.ts).
 * Each workflow's last run is `<name>.pb`; the runs before it that continued as new are `<name>.before-N.pb`.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { temporal } from '@temporalio/proto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { WorkflowClient } from '@temporalio/client';
import { RecordingChannel } from '../activities/outbox';
import { loadCampaign } from '../cli/campaign-input';
import { createWorker } from '../worker';
import { expandCampaign } from '../workflows/expand';
import { dutyInput } from './duty-fixtures';
import { createActivities } from '../activities';
import { wechatUnavailable } from '../channels/errors';
import { simulateYear } from '../cli/simulate';
import { personaOf } from '../cli/simulated-people';
import { startDevServer, startTestServer } from '../servers/processes';
import { attachTimeSkipping } from '../servers/time-skipping';
import { attemptRefusedSignal, calendarUpdateSignal } from '../workflows/messages';
import { calendarFromFile } from '../cli/calendar';
import { itemsOf } from '../workflows/morning';
import { recordDeskShards } from './record-desk-shards';

/** Where recorded histories live: one folder per release, and the manifest. */
const ROOT = join(__dirname, 'replay');
const MANIFEST = join(ROOT, 'manifest.json');

export interface Manifest {
  /** Path under test/replay/ → the release it was recorded for and its SHA-256. */
  files: Record<string, { release: string; sha256: string }>;
}

export function readManifest(): Manifest {
  return JSON.parse(readFileSync(MANIFEST, 'utf8')) as Manifest;
}

export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

const WECHAT_QUEUE = 'record-wechat';

async function main() {
  const version = (JSON.parse(readFileSync(join(ROOT, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  const dir = join(ROOT, version);
  const manifest = readManifest();
  if (existsSync(dir) || Object.values(manifest.files).some((f) => f.release === version)) {
    throw new Error(`test/replay/${version}/ 已录制 already recorded: recorded histories are never re-recorded. Raise the version in package.json for a new release.`);
  }
  const server = await startTestServer();
  const env = await attachTimeSkipping(server.address);
  // WeChat reaches units whose name has an even character code sum; the others fail at once (email fallback
  // and an administrator alert). Used on the dev server below.
  const reachable = (unit: string) => [...unit].reduce((a, c) => a + c.charCodeAt(0), 0) % 2 === 0;
  const wechatActivities = {
    deliverWechat: createActivities({
      wechat: {
        send: async (msg) => {
          const units = msg.toUnits.filter(reachable);
          if (!units.length) throw wechatUnavailable('录制：微信机器人未登录');
          return { delivered: units };
        },
        sendToAdmins: async () => undefined,
      },
    }).deliverWechat,
  };
  let refusedSent = 0;
  let saved = 0;
  let continued = 0;
  try {
    // Before the year: after a year with the desk (which stays running, idle), the Java test server's clock did not
    // move for these duties (two recording runs of 0.5.0 hung here; cause not found).
    mkdirSync(dir);
    await continuedDuties(env);
    const result = await simulateYear({
      year: 2022,
      replies: 'mixed',
      env,
      taskQueue: 'record',
      // From 0.5.0's recording on, a second notice beside the seed: both campaigns hand their morning messages
      // and digests to the desk, the second's codes lettered.
      also: [{ year: 2022, notice: join(__dirname, 'fixtures', 'notices', 'dazhu-2022-renju.txt') }],
      // Two refused attempts, as the bot records them.
      onMessage: async (msg, client) => {
        const dutyId = itemsOf(msg).find((i) => i.dutyId)?.dutyId;
        if (!dutyId || refusedSent >= 2) return;
        refusedSent++;
        await client.workflow.getHandle(dutyId).signal(attemptRefusedSignal, { who: '路人甲', text: '完成 1', reason: '不在督办通讯录中' });
      },
    });
    const pick = new Map<string, string>();
    pick.set('campaign', result.campaignWorkflowId);
    for (const [i, id] of result.campaignWorkflowIds.slice(1).entries()) pick.set(`campaign-also-${i + 1}`, id);
    if (result.deskWorkflowId) pick.set('desk', result.deskWorkflowId);
    for (const e of result.ledger) {
      const persona = personaOf(e.dutyId, 'mixed') ?? 'none';
      const past = e.deadline === '2022-03-31' ? '-past-due' : '';
      const also = e.dutyId.startsWith('dazhu-2022-renju/') ? '-also' : '';
      // From 0.6.0's code on, co-units' parts (lead+co, the seed's task 1) by persona too (recorded from 0.7.0).
      const part = e.lead ? '-part' : '';
      const name = `duty-${e.kind}${part}${past}-${persona}${also}`;
      if (!pick.has(name)) pick.set(name, e.dutyId);
    }
    for (const [name, workflowId] of pick) await save(env.client.workflow, name, workflowId);
  } finally {
    await env.teardown();
    await server.stop();
  }
  await continuedCampaign();
  // From 0.9.1's recording on: the desk in shards with its limits lowered (test/record-desk-shards.ts).
  await deskShards();
  writeFileSync(MANIFEST, `${JSON.stringify(manifest, null, 2)}\n`);
  process.stdout.write(`${saved} histories, ${continued} of runs that continued as new; manifest updated\n`);
  if (continued < 3) throw new Error('too few recorded runs continued as new: lower the thresholds');

  /** Saves a workflow's last run and every run before it that continued as new. */
  async function save(workflows: WorkflowClient, name: string, workflowId: string) {
    let runId: string | undefined;
    for (let run = 0; ; run++) {
      const history = await workflows.getHandle(workflowId, runId).fetchHistory();
      const file = `${version}/${name}${run ? `.before-${run}` : ''}.pb`;
      const bytes = temporal.api.history.v1.History.encode(history).finish();
      writeFileSync(join(ROOT, file), bytes);
      manifest.files[file] = { release: version, sha256: sha256(bytes) };
      saved++;
      process.stdout.write(`test/replay/${file} (${history.events?.length ?? 0} events)\n`);
      const previous = history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
      if (!previous) break;
      continued++;
      runId = previous;
    }
  }

  /** A silent dated duty and an acknowledged one, alone, each continuing as new every 60 events. */
  async function continuedDuties(env: Awaited<ReturnType<typeof attachTimeSkipping>>) {
    const worker = await createWorker({ connection: env.nativeConnection, taskQueue: 'record-duties', channel: new RecordingChannel() });
    await worker.runUntil(async () => {
      for (const name of ['duty-deadline-silent-continued', 'duty-deadline-acknowledged-continued']) {
        const input = dutyInput(`record/${name}/县民政局`, '2022-05-31', { closeAt: '2022-09-30', continueAsNewAfterEvents: 60 });
        const clockOffsetMs = Date.parse('2022-04-29T10:00:00+08:00') - (await env.currentTimeMs());
        const handle = await env.client.workflow.start('dutyWorkflow', { taskQueue: 'record-duties', workflowId: input.duty.dutyId, args: [{ ...input, clockOffsetMs }] });
        if (name.includes('acknowledged')) {
          await handle.executeUpdate('acknowledge', { args: [{ actor: { person: '王晓明', unit: '县民政局', role: 'coordinator' } }] });
        }
        await handle.result();
        await save(env.client.workflow, name, input.duty.dutyId);
      }
    });
  }

  /** The desk's city paths on the dev server, in real time (about four minutes). */
  async function deskShards() {
    const dev = await startDevServer();
    const nativeConnection = await NativeConnection.connect({ address: dev.address });
    const connection = await Connection.connect({ address: dev.address });
    const client = new Client({ connection });
    try {
      await recordDeskShards({ client, nativeConnection }, (name, workflowId) => save(client.workflow, name, workflowId));
    } finally {
      await connection.close();
      await nativeConnection.close();
      await dev.stop();
    }
  }

  /** The seed campaign on the dev server, continuing as new every 60 events, for about a minute. */
  async function continuedCampaign() {
    const dev = await startDevServer();
    const native = await NativeConnection.connect({ address: dev.address });
    const connection = await Connection.connect({ address: dev.address });
    const client = new Client({ connection });
    const loaded = loadCampaign({ year: 2022 });
    const workflowId = 'record/campaign-continued';
    const worker = await createWorker({ connection: native, taskQueue: 'record-campaign', channel: new RecordingChannel() });
    const wechat = await Worker.create({ connection: native, taskQueue: WECHAT_QUEUE, activities: wechatActivities });
    const wechatRun = wechat.run();
    try {
      await worker.runUntil(async () => {
        // Thursday 5 May 2022, 10:00: office hours, so every duty's first message goes at once.
        const clockOffsetMs = Date.parse('2022-05-05T10:00:00+08:00') - Date.now();
        // Its duties set search attributes (registered by the dev server's start), from 0.4.0's recording on.
        const options = { ...loaded.input.options, continueAsNewAfterEvents: 60, morningSettleSeconds: 1, wechatTaskQueue: WECHAT_QUEUE, searchAttributes: true };
        await client.workflow.start('campaignWorkflow', { taskQueue: 'record-campaign', workflowId, args: [{ ...loaded.input, campaignId: 'record-continued', options, clockOffsetMs }] });
        const runs = async () => {
          let n = 1;
          let history = await client.workflow.getHandle(workflowId).fetchHistory();
          for (;;) {
            const previous = history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
            if (!previous) return n;
            n++;
            history = await client.workflow.getHandle(workflowId, previous).fetchHistory();
          }
        };
        const end = Date.now() + 90_000;
        // Once while starting duties, then in the main loop as their reports and first messages arrive.
        while ((await runs()) < 3 && Date.now() < end) await new Promise((r) => setTimeout(r, 2000));
        // A unit asks for an extension: the request goes to its supervising office at once, by WeChat or email.
        const duties = expandCampaign({ ...loaded.input, campaignId: 'record-continued' }, '2022-05-05');
        const asking = duties.find((d) => d.duty.kind === 'deadline' && d.duty.taskNumber === 1)!;
        await client.workflow.getHandle(asking.duty.dutyId).executeUpdate('requestExtension', {
          args: [{ actor: { person: '县乡村振兴局联络员（录制）', unit: asking.duty.unit, role: 'coordinator' }, date: '2022-06-15', reason: '等待数据' }],
        });
        await client.workflow.getHandle(asking.duty.dutyId).signal(attemptRefusedSignal, { who: '路人乙', text: '同意延期 1', reason: '不在督办通讯录中' });
        // An administrator loads next year's calendar: the campaign passes it to every running duty.
        await client.workflow.getHandle(workflowId).signal(calendarUpdateSignal, calendarFromFile(join(__dirname, 'fixtures', 'calendar-2027.yaml')));
        await new Promise((r) => setTimeout(r, 5000));
        await save(client.workflow, 'duty-deadline-extension-requested', asking.duty.dutyId);
        await save(client.workflow, 'campaign-continued', workflowId);
        const ids = [workflowId, ...duties.map((d) => d.duty.dutyId)];
        for (const id of ids) await client.workflow.getHandle(id).terminate('recorded').catch(() => undefined);
      });
    } finally {
      wechat.shutdown();
      await wechatRun;
      await connection.close();
      await native.close();
      await dev.stop();
    }
  }
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(1);
  });
}
