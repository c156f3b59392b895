/**
 * How `duban cluster up` starts the four Temporal services and decides they are ready: pure decisions, no
 * processes or sockets, so that test/cluster-start.test.ts checks them in milliseconds. servers/cluster.ts
 * does the spawning and the asking.
 */

export const CLUSTER_SERVICES = ['frontend', 'history', 'matching', 'worker'] as const;
export type ClusterService = (typeof CLUSTER_SERVICES)[number];

/**
 * What a step waits for before the next one starts:
 * - metadata: the current cluster's row in cluster_metadata_info (every service process writes it when it is
 *   missing, with a conditional insert; two at once and the loser exits with "failed to initialize current
 *   cluster metadata" — so one process runs alone until the row is there);
 * - health: the frontend's grpc.health.v1 check for the WorkflowService says SERVING (it does once the
 *   frontend has joined the membership ring);
 * - membership: each service of the step has a fresh cluster_membership row from this start;
 * - namespace: `default` registered, with duban's search attributes;
 * - workflow: the frontend routes to matching (describeTaskQueue) and to history (a probe workflow started
 *   and terminated), i.e. no "Not enough hosts to serve the request".
 */
export type ReadyCheck = 'metadata' | 'health' | 'membership' | 'namespace' | 'workflow';

export interface StartStep {
  /** Services of this step that this `up` spawns. */
  start: ClusterService[];
  /** Services of this step found running (checked, not spawned). */
  running: ClusterService[];
  /** Checked in this order; the first unmet one is what the step is waiting for. */
  checks: ReadyCheck[];
}

/**
 * The frontend first and alone: it writes the cluster metadata and is the one process whose readiness can be
 * asked over gRPC. History and matching next (the frontend's requests need both in its ring); the internal
 * worker last, since its system workflows need the other three.
 */
const ORDER: ReadonlyArray<{ services: ClusterService[]; checks: ReadyCheck[] }> = [
  { services: ['frontend'], checks: ['metadata', 'health'] },
  { services: ['history', 'matching'], checks: ['membership', 'namespace', 'workflow'] },
  { services: ['worker'], checks: ['membership'] },
];

export function startPlan(running: ReadonlySet<ClusterService>): StartStep[] {
  return ORDER.map(({ services, checks }) => ({
    start: services.filter((s) => !running.has(s)),
    running: services.filter((s) => running.has(s)),
    checks,
  }));
}

/** cluster_membership.role (persistence.ServiceType in the server). */
export const MEMBERSHIP_ROLE: Record<ClusterService, number> = { frontend: 1, history: 2, matching: 3, worker: 4 };

export interface MembershipRow {
  role: number;
  sessionStartMs: number;
  lastHeartbeatMs: number;
}

/** Services heartbeat every 10–15 s; a row older than this belongs to a process that is gone. */
export const HEARTBEAT_FRESH_MS = 30_000;
/** session_start is stored without sub-second certainty. */
const SESSION_SLACK_MS = 2_000;

/**
 * The services not (yet) in the membership. `since` is when this `up` spawned the service: a row from an earlier
 * process of the same role (killed a moment ago, still fresh) does not count for it.
 */
export function membershipMissing(rows: readonly MembershipRow[], want: ReadonlyArray<{ service: ClusterService; since?: number }>, nowMs: number): ClusterService[] {
  return want
    .filter(
      ({ service, since }) =>
        !rows.some(
          (r) => r.role === MEMBERSHIP_ROLE[service] && r.lastHeartbeatMs >= nowMs - HEARTBEAT_FRESH_MS && (since === undefined || r.sessionStartMs >= since - SESSION_SLACK_MS),
        ),
    )
    .map((w) => w.service);
}

/** What an unanswered check means, for progress lines and the timeout's message. */
export function describeWait(check: ReadyCheck, detail: string): string {
  if (/Not enough hosts/i.test(detail)) return `${check}: the frontend's ring has no history or matching host yet (Not enough hosts)`;
  if (/ECONNREFUSED|No connection established|failed to connect|14 UNAVAILABLE/i.test(detail)) return `${check}: the frontend does not answer yet (${short(detail)})`;
  return `${check}: ${short(detail)}`;
}

function short(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

/** What to do when a service exited during start-up, from the tail of its log. Chinese, then English. */
export function exitHint(service: ClusterService, logTail: string): string {
  if (/failed to initialize current cluster metadata/i.test(logTail)) {
    return '另一个进程同时写入了集群元数据：请先 `npx duban cluster down`，确认没有别的 Temporal 服务连着同一个数据库，再 `npm run cluster` (another process wrote the cluster metadata at the same time: run `npx duban cluster down`, make sure no other Temporal service uses this database, then `npm run cluster` again)';
  }
  if (/address already in use|bind: /i.test(logTail)) {
    return '端口已被占用：停掉占用它的进程，或设置 DUBAN_CLUSTER_PORT 换一组端口 (a port is taken: stop whatever holds it, or set DUBAN_CLUSTER_PORT to move every port)';
  }
  if (/connection refused|dial tcp|password authentication|database .* does not exist/i.test(logTail)) {
    return 'PostgreSQL 连不上：看 data/cluster/postgres.log，再 `npx duban cluster down` 后重试 (PostgreSQL is unreachable: read its postgres.log, then `npx duban cluster down` and try again)';
  }
  return `请看 data/cluster/${service}.log (read data/cluster/${service}.log)`;
}

/** After one service is restarted alone: what says it serves again. */
export function restartChecks(service: ClusterService): ReadyCheck[] {
  if (service === 'frontend') return ['health', 'workflow'];
  if (service === 'worker') return ['membership'];
  return ['membership', 'workflow'];
}
