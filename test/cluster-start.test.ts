// The start order and readiness decisions of `duban cluster up` (servers/cluster-start.ts), without a cluster.
import { describe, expect, it } from 'vitest';
import { CLUSTER_SERVICES, describeWait, exitHint, HEARTBEAT_FRESH_MS, MEMBERSHIP_ROLE, membershipMissing, restartChecks, startPlan, type ClusterService } from '../servers/cluster-start';

describe('startPlan', () => {
  it('from nothing: the frontend alone until the metadata is written and it is healthy, then history and matching, then the worker', () => {
    expect(startPlan(new Set())).toEqual([
      { start: ['frontend'], running: [], checks: ['metadata', 'health'] },
      { start: ['history', 'matching'], running: [], checks: ['membership', 'namespace', 'workflow'] },
      { start: ['worker'], running: [], checks: ['membership'] },
    ]);
  });

  it('never starts two services while the cluster metadata may still be missing', () => {
    const [first] = startPlan(new Set());
    expect(first!.start).toHaveLength(1);
    expect(first!.checks[0]).toBe('metadata');
  });

  it('spawns only what is not running, and still checks what is', () => {
    const plan = startPlan(new Set<ClusterService>(['frontend', 'matching']));
    expect(plan.map((s) => s.start)).toEqual([[], ['history'], ['worker']]);
    expect(plan.map((s) => s.running)).toEqual([['frontend'], ['matching'], []]);
  });

  it('everything running: nothing spawned, every check still made (an `up` of a running cluster is a readiness check)', () => {
    const plan = startPlan(new Set(CLUSTER_SERVICES));
    expect(plan.flatMap((s) => s.start)).toEqual([]);
    expect(plan.flatMap((s) => s.checks)).toEqual(['metadata', 'health', 'membership', 'namespace', 'workflow', 'membership']);
  });

  it('each service is started exactly once, the worker after history and matching', () => {
    const order = startPlan(new Set()).flatMap((s) => s.start);
    expect([...order].sort()).toEqual([...CLUSTER_SERVICES].sort());
    expect(order.indexOf('worker')).toBeGreaterThan(Math.max(order.indexOf('history'), order.indexOf('matching')));
  });
});

describe('membershipMissing', () => {
  const now = 1_800_000_000_000;
  const row = (service: ClusterService, sessionAgoMs: number, heartbeatAgoMs: number) => ({ role: MEMBERSHIP_ROLE[service], sessionStartMs: now - sessionAgoMs, lastHeartbeatMs: now - heartbeatAgoMs });

  it('a fresh row of the right role from after the spawn counts', () => {
    expect(membershipMissing([row('history', 5_000, 1_000)], [{ service: 'history', since: now - 6_000 }], now)).toEqual([]);
  });

  it('a row of the process killed a moment ago (same role, still fresh) does not count for its successor', () => {
    expect(membershipMissing([row('history', 600_000, 2_000)], [{ service: 'history', since: now - 3_000 }], now)).toEqual(['history']);
  });

  it('a stale heartbeat does not count, even for a service found running', () => {
    expect(membershipMissing([row('matching', 600_000, HEARTBEAT_FRESH_MS + 1)], [{ service: 'matching' }], now)).toEqual(['matching']);
    expect(membershipMissing([row('matching', 600_000, 5_000)], [{ service: 'matching' }], now)).toEqual([]);
  });

  it('another role does not stand in', () => {
    expect(membershipMissing([row('frontend', 1_000, 1_000)], [{ service: 'worker', since: now - 2_000 }, { service: 'frontend' }], now)).toEqual(['worker']);
  });
});

describe('messages', () => {
  it('names the membership when the frontend has no hosts yet', () => {
    expect(describeWait('workflow', '14 UNAVAILABLE: Not enough hosts to serve the request')).toMatch(/ring has no history or matching host/);
    expect(describeWait('health', 'Failed to connect before the deadline')).toMatch(/^health: /);
  });

  it('says what to do when a service exits during its start', () => {
    expect(exitHint('frontend', '{"level":"fatal","msg":"failed to initialize current cluster metadata"}')).toMatch(/cluster down/);
    expect(exitHint('history', 'listen tcp 127.0.0.1:17234: bind: address already in use')).toMatch(/DUBAN_CLUSTER_PORT/);
    expect(exitHint('matching', 'something else')).toMatch(/data\/cluster\/matching\.log/);
  });

  it('a restarted service is back once it is in the membership and, for history and matching, a workflow starts', () => {
    expect(restartChecks('history')).toEqual(['membership', 'workflow']);
    expect(restartChecks('matching')).toEqual(['membership', 'workflow']);
    expect(restartChecks('frontend')).toEqual(['health', 'workflow']);
    expect(restartChecks('worker')).toEqual(['membership']);
  });
});
