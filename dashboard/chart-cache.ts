/**
 * The overview's charts, drawn once per input. Drawing is synchronous (ECharts' SSR) and runs on the event loop
 * the worker, /healthz and every other page share; the ledger changes a few times a day, the page is read far
 * more often. Each chart is kept under a fingerprint of what it is drawn from (its rows and today's date), and
 * one chart that cannot be drawn says so in its place: the rest of the page still renders.
 */
import { createHash } from 'node:crypto';
import { escapeHtml as h } from '../channels/render';
import type { PendingChart } from '../charts/ledger-charts';
import type { ChartSpec } from '../charts/options';
import { renderChartSvg } from '../charts/render';
import { createLog } from '../ops/log';

/** Three charts each for the whole campaign and for a few dozen units' filtered views. */
const DEFAULT_ENTRIES = 64;

export interface ChartCacheOptions {
  render?: (spec: ChartSpec) => string;
  /** Told once per chart and input that cannot be drawn (the page shows 图表暂不可用 instead). */
  onError?: (chartId: string, error: unknown) => void;
  maxEntries?: number;
}

export function chartFingerprint(chart: Pick<PendingChart, 'id' | 'input'>): string {
  return `${chart.id}:${createHash('sha256').update(JSON.stringify(chart.input)).digest('base64url')}`;
}

export class ChartCache {
  /** Fingerprint → the chart's <figure>; a Map iterates in insertion order, so the first key is the least recently used. */
  private readonly figures = new Map<string, string>();
  private readonly render: (spec: ChartSpec) => string;
  private readonly onError: (chartId: string, error: unknown) => void;
  private readonly maxEntries: number;

  constructor(options: ChartCacheOptions = {}) {
    this.render = options.render ?? renderChartSvg;
    const log = createLog();
    this.onError = options.onError ?? ((id, error) => log.error(`dashboard chart ${id}`, { error }));
    this.maxEntries = options.maxEntries ?? DEFAULT_ENTRIES;
  }

  /** Each chart's <figure>: the cached one for its input, else drawn now. Never throws for a chart. */
  figuresOf(charts: PendingChart[]): string[] {
    return charts.map((c) => this.figure(c));
  }

  private figure(chart: PendingChart): string {
    const key = chartFingerprint(chart);
    const cached = this.figures.get(key);
    if (cached !== undefined) {
      this.figures.delete(key);
      this.figures.set(key, cached);
      return cached;
    }
    let html: string;
    try {
      html = `<figure>${this.render(chart.build())}</figure>`;
    } catch (error) {
      // Kept too: the same input would fail the same way (drawing is a function of it), and the log gets it once.
      this.onError(chart.id, error);
      html = `<figure class="chart-unavailable" data-chart="${h(chart.id)}"><figcaption>${h(chart.title)}</figcaption><p>图表暂不可用</p></figure>`;
    }
    this.figures.set(key, html);
    if (this.figures.size > this.maxEntries) this.figures.delete(this.figures.keys().next().value!);
    return html;
  }
}

/** The process's cache, for pages drawn without a dashboard of their own (tests, scripts). */
export const sharedChartCache = new ChartCache();
