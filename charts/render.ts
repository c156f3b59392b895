/**
 * Server-side rendering of a chart to an inline SVG string with ECharts' SSR mode: no DOM, no canvas, no
 * script in the page. The output is a function of the chart alone, so tests can compare it.
 */
import * as echarts from 'echarts';
import { escapeHtml } from '../channels/render';
import type { ChartSpec } from './options';

export class ChartRenderError extends Error {
  readonly code = 'CHART_RENDER_FAILED';
  constructor(id: string, cause: unknown) {
    super(`图表 ${id} 无法生成 (chart ${id} could not be rendered): ${cause instanceof Error ? cause.message : String(cause)}. Check the chart's data (days as YYYY-MM-DD, counts as numbers).`, { cause });
    this.name = 'ChartRenderError';
  }
}

/**
 * ECharts numbers each renderer instance (`zr0`, `zr1`, …) and its CSS classes from process-wide counters, so
 * the same chart would come out differently as the second chart of a process. Ids become the chart's own id,
 * and the hover and animation styles (meaningless in a static picture) go, with the attributes that only
 * ECharts' client-side hydration reads.
 */
export function stabiliseSvg(svg: string, spec: Pick<ChartSpec, 'id' | 'summary'>): string {
  const id = spec.id.replace(/[^A-Za-z0-9_-]/g, '_');
  return svg
    .replace(/<style[^>]*>[\s\S]*?<\/style>\n?/g, '')
    .replace(/ class="zr\d+-cls-\d+(?: zr\d+-cls-\d+)*"/g, '')
    .replace(/ ecmeta_[a-z_]+="[^"]*"/g, '')
    .replace(/\bzr\d+-/g, `${id}-`)
    .replace(/^<svg /, `<svg id="${id}" role="img" aria-label="${escapeHtml(spec.summary)}" style="max-width:100%;height:auto" `);
}

export function renderChartSvg(spec: ChartSpec): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: spec.width, height: spec.height });
  try {
    chart.setOption(spec.option);
    return stabiliseSvg(chart.renderToSVGString(), spec);
  } catch (err) {
    throw new ChartRenderError(spec.id, err);
  } finally {
    chart.dispose();
  }
}
