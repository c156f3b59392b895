/**
 * Charts drawn by ECharts on the server as inline SVG: what they show (each unit's counts per level, the
 * year's marks, completed against due), that the same data gives the same SVG, and that the demo report
 * carries them with no script. In Chromium: unit names neither overlap nor run off the picture, and a
 * screenshot is kept (test-results/report-charts.png).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { loadCampaign } from '../cli/campaign-input';
import { renderReport } from '../cli/report';
import type { SimulationResult } from '../cli/simulate';
import { completionTrendChart, cumulative, levelsByUnitChart, monthSpan, timelineChart } from '../charts/options';
import { renderChartSvg } from '../charts/render';
import { chartUnits } from '../charts/ledger-charts';
import { calendar2022 } from './duty-fixtures';
import type { LedgerEntry, Level, OutgoingMessage } from '../workflows/types';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const shots = join(__dirname, '..', 'test-results');

/** The aria-label ECharts' SVG carries, unescaped. */
function ariaLabel(svg: string): string {
  const m = / aria-label="([^"]*)"/.exec(svg);
  return (m?.[1] ?? '').replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

function edges(box: { x: number; y: number; width: number; height: number } | null): Box {
  if (!box) throw new Error('an element of the chart is not displayed');
  return { left: box.x, right: box.x + box.width, top: box.y, bottom: box.y + box.height };
}

/** The text elements' contents, as a reader sees them. */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => (m[1] ?? '').trim());
}

// Long and short unit names, as a county's directory has them.
const UNITS = ['县乡村振兴局', '县人力资源和社会保障局', '县农业农村局', '县委组织部', '县纪委监委', '县发展和改革局', '县以工代赈中心', '县住房和城乡建设局'];

/** A small simulated year: three duties a unit, one of them left unresolved at some units. */
function yearFixture(): SimulationResult {
  const ledger: LedgerEntry[] = [];
  const dutyMessages: OutgoingMessage[] = [];
  const events: SimulationResult['events'] = [];
  const at = (date: string) => Date.parse(`${date}T09:00:00+08:00`);
  const shift = (date: string, days: number) => new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
  const send = (e: LedgerEntry, kind: OutgoingMessage['kind'], level: Level, date: string) => {
    dutyMessages.push({ key: `${e.dutyId}/${kind}/${date}`, kind, dutyId: e.dutyId, taskNumber: e.taskNumber, unit: e.unit, toUnits: [e.unit], recipients: [], level, at: at(date), subject: '督办', text: '督办' });
    events.push({ at: `${date}T09:00:00+08:00`, kind, toUnits: [e.unit], task: e.taskNumber, unit: e.unit, dutyId: e.dutyId, level });
  };
  UNITS.forEach((unit, u) => {
    ['2022-05-31', '2022-08-31', '2022-11-30'].forEach((deadline, d) => {
      const late = (u + d) % 4 === 0;
      const open = u % 3 === 0 && d === 2;
      const e: LedgerEntry = {
        dutyId: `t${d + 1}/${unit}`,
        code: `${d + 1}`,
        kind: 'deadline',
        taskNumber: d + 1,
        unit,
        deadline,
        status: open ? 'closed' : 'completed',
        level: open ? 'red' : 'green',
        // Done ten days early, or ten days late.
        ...(open ? {} : { completedAt: at(shift(deadline, late ? 10 : -10)) }),
        remindersSent: 1,
        escalationsSent: late || open ? 1 : 0,
        ended: true,
        updatedAt: 0,
      };
      ledger.push(e);
      send(e, 'reminder', 'blue', shift(deadline, -20));
      if (late || open) send(e, 'escalation', 'red', shift(deadline, 5));
      if (!open) events.push({ at: `${shift(deadline, -15)}T10:00:00+08:00`, kind: 'reply', toUnits: [], task: e.taskNumber, unit, dutyId: e.dutyId, text: `收到 ${e.code}` });
    });
  });
  const completed = ledger.filter((e) => e.status === 'completed').length;
  return {
    campaignWorkflowId: 'duban/fixture',
    campaignWorkflowIds: ['duban/fixture'],
    events,
    messages: dutyMessages,
    dutyMessages,
    summary: { campaignId: 'fixture', duties: ledger.length, completed, closedUnresolved: ledger.length - completed, escalated: ledger.filter((e) => e.escalationsSent).length },
    ledger,
    calendar: calendar2022,
    offHours: [],
    wallMs: 0,
    warnings: [],
  };
}

describe('chart data', () => {
  it('spans whole months and counts what has fallen due by each day', () => {
    const days = monthSpan('2022-03-31', '2022-05-02');
    expect([days[0], days.at(-1), days.length]).toEqual(['2022-03-01', '2022-05-31', 92]);
    expect(cumulative(['2022-03-30', '2022-03-31', '2022-04-01'], ['2022-04-01', '2022-03-31', '2022-03-31'])).toEqual([0, 2, 3]);
  });
});

describe('the dashboard’s per-unit charts', () => {
  const duty = (unit: string, level: Level, ended = false): LedgerEntry => ({ dutyId: `${unit}/${level}/${String(ended)}`, kind: 'deadline', taskNumber: 1, unit, deadline: '2022-05-31', status: ended ? 'completed' : 'acknowledged', level, remindersSent: 0, escalationsSent: 0, ended, updatedAt: 0 });

  it('keep the units with the most open duties, the more red first on a tie, in the matrix’s order', () => {
    const ledger = [
      // 县委组织部: many duties, all ended — nothing open.
      ...['green', 'green', 'green'].map(() => duty('县委组织部', 'green', true)),
      duty('县乡村振兴局', 'blue'),
      duty('县乡村振兴局', 'blue'),
      duty('县农业农村局', 'red'),
      duty('县农业农村局', 'blue'),
      duty('县纪委监委', 'yellow'),
      duty('县纪委监委', 'blue'),
    ];
    const units = ['县乡村振兴局', '县农业农村局', '县委组织部', '县纪委监委'];
    expect(chartUnits(ledger, units, 2)).toEqual(['县农业农村局', '县纪委监委']);
    expect(chartUnits(ledger, units, 4)).toEqual(units);
  });
});

describe('charts rendered on the server', () => {
  const levels = () =>
    levelsByUnitChart({
      id: 'levels',
      title: '各单位时限任务等级',
      units: [
        { unit: '县乡村振兴局', counts: { red: 2, green: 7 } },
        { unit: '县人力资源和社会保障局', counts: { yellow: 3 } },
      ],
    });

  it('draws each unit with its counts per level, in the pages’ level colours, and says so in its aria-label', () => {
    const svg = renderChartSvg(levels());
    expect(svg).toMatch(/^<svg id="levels" role="img"/);
    expect(ariaLabel(svg)).toBe('各单位时限任务等级：县乡村振兴局 红·逾期 2 项，绿·已办结 7 项；县人力资源和社会保障局 黄·滞后/未确认 3 项');
    const shown = texts(svg);
    // Title, unit names, legend entries and the counts on the bars.
    for (const t of ['各单位时限任务等级', '县乡村振兴局', '县人力资源和社会保障局', '红·逾期', '黄·滞后/未确认', '绿·已办结', '2', '7', '3']) expect(shown).toContain(t);
    // Levels with no duty get no legend entry.
    expect(shown).not.toContain('蓝·即将到期');
    for (const colour of ['#b91c1c', '#d97706', '#15803d']) expect(svg).toContain(`fill="${colour}"`);
    expect(svg).toContain('Noto Sans CJK SC');
    expect(svg).not.toMatch(/<script|<style/);
  });

  it('gives the same SVG for the same data, whatever the process drew before', () => {
    const days = monthSpan('2022-01-01', '2022-12-31');
    // A line chart clips its lines: its SVG refers to clip paths by id.
    const trend = () => completionTrendChart({ id: 'trend', title: '办结进度', days, due: ['2022-05-31'], completed: ['2022-05-20'], today: '2022-06-01' });
    const first = renderChartSvg(trend());
    renderChartSvg(levels());
    renderChartSvg(timelineChart({ id: 'tl', title: '时间线', days, rows: [{ label: '县委组织部' }], series: [{ name: '截止日期', color: '#000', symbol: 'circle', points: [{ row: 0, day: '2022-05-31' }] }] }));
    expect(renderChartSvg(trend())).toBe(first);
    expect(first).toContain('clip-path="url(#trend-c0)"');
    // ECharts' own instance numbering (zr0, zr1, …) is gone.
    expect(first).not.toMatch(/\bzr\d+-/);
  });

  it('shows a unit called <script> as text', () => {
    const svg = renderChartSvg(levelsByUnitChart({ id: 'x', title: '等级', units: [{ unit: '<script>alert(1)</script>', counts: { red: 1 } }] }));
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });
});

describe('demo report charts', () => {
  const { plan } = loadCampaign({ year: 2022 }).input;
  const html = renderReport(yearFixture(), plan, 'mixed');
  const svgs = [...html.matchAll(/<svg id="([^"]+)"[\s\S]*?<\/svg>/g)].map((m) => ({ id: m[1], svg: m[0] }));

  it('draws its three charts with ECharts as inline SVG, and the page has no script', () => {
    expect(svgs.map((s) => s.id)).toEqual(['chart-peak-levels', 'chart-year-timeline', 'chart-year-trend']);
    expect(html).not.toMatch(/<script\b/i);
    const [peak, timeline, trend] = svgs.map((s) => s.svg);
    // 县乡村振兴局: two duties escalated (one closed unresolved), one only reminded.
    expect(ariaLabel(peak ?? '')).toContain('县乡村振兴局 红·逾期 2 项，蓝·即将到期 1 项');
    expect(ariaLabel(peak ?? '')).toContain('县人力资源和社会保障局 蓝·即将到期 3 项；县农业农村局 红·逾期 1 项，蓝·即将到期 2 项');
    expect(texts(timeline ?? '')).toEqual(expect.arrayContaining(['任务3 县乡村振兴局', '未办结', '办结', '截止日期', '催办提醒', '逾期督办', '单位回复']));
    expect(ariaLabel(timeline ?? '')).toContain('2022-05-01 至 2022-12-31，截止日期 24，催办提醒 24，逾期督办 8，单位回复 21');
    expect(ariaLabel(trend ?? '')).toContain('截至 2022-12-31，累计到期 24 项，累计已办结 21 项');
  });

  it('reads in Chromium: unit names neither overlap nor run off the chart (screenshot kept)', async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: npm test installs Debian's chromium (duban setup), or set CHROMIUM_PATH`);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      await page.setContent(html);
      // Every unit name drawn on each chart, with its box on screen.
      const boxes: { id: string; frame: Box; names: (Box & { text: string })[] }[] = [];
      for (const svg of await page.locator('svg[id^="chart-"]').all()) {
        const names: (Box & { text: string })[] = [];
        for (const t of await svg.locator('text').all()) {
          const text = (await t.textContent()) ?? '';
          if (UNITS.some((u) => text.includes(u))) names.push({ text, ...edges(await t.boundingBox()) });
        }
        boxes.push({ id: (await svg.getAttribute('id')) ?? '', frame: edges(await svg.boundingBox()), names });
      }
      expect(boxes.map((b) => [b.id, b.names.length])).toEqual([
        ['chart-peak-levels', UNITS.length],
        ['chart-year-timeline', UNITS.length * 3],
        ['chart-year-trend', 0],
      ]);
      for (const chart of boxes) {
        for (const [i, a] of chart.names.entries()) {
          expect(a.left, `${chart.id}: ${a.text} starts inside the chart`).toBeGreaterThanOrEqual(chart.frame.left);
          expect(a.right, `${chart.id}: ${a.text} ends inside the chart`).toBeLessThanOrEqual(chart.frame.right);
          for (const b of chart.names.slice(i + 1)) {
            const apart = a.right <= b.left || b.right <= a.left || a.bottom <= b.top || b.bottom <= a.top;
            expect(apart, `${chart.id}: ${a.text} overlaps ${b.text}`).toBe(true);
          }
        }
      }
      mkdirSync(shots, { recursive: true });
      await page.screenshot({ path: join(shots, 'report-charts.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  });
});
