/**
 * The warning levels as every page shows them: one order, one Chinese name and one colour each, so the
 * dashboard's cells, its charts and the demo report's charts agree.
 */
import type { Level } from '../workflows/types';

/** Worst first: the order of legends and of stacked bars. */
export const LEVEL_ORDER: Level[] = ['red', 'yellow', 'blue', 'none', 'green'];

export const LEVEL_CN: Record<Level, string> = { red: '红·逾期', yellow: '黄·滞后/未确认', blue: '蓝·即将到期', none: '正常', green: '绿·已办结' };

export const LEVEL_COLOR: Record<Level, string> = { red: '#b91c1c', yellow: '#d97706', blue: '#1d4ed8', none: '#94a3b8', green: '#15803d' };

/** The pages' font stack: charts name it too, so their Chinese renders in the same CJK font. */
export const PAGE_FONT = "'Noto Sans CJK SC','PingFang SC','Microsoft YaHei',sans-serif";
