/**
 * The dashboard's one stylesheet, served as a file (/static/duban.css) so every page, the clerk's desk and the action
 * pages opened from WeChat look like one office system, and no page needs an inline <style> or any script to be
 * read. Level colours are the charts' (charts/levels.ts). Phones first: nothing on an action page is wider than
 * the screen; wide tables (the task × unit matrix) scroll inside their own box, with their header row kept in sight.
 */
import { createHash } from 'node:crypto';
import { PAGE_FONT } from '../charts/levels';

export const STYLESHEET_PATH = '/static/duban.css';

export const DASHBOARD_CSS = `*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{font-family:${PAGE_FONT};margin:0;color:#0f172a;background:#f1f5f9;font-size:15px;line-height:1.55}
a{color:#1e40af}
.topbar{background:#9f1239;color:#fff;padding:10px 16px;display:flex;flex-wrap:wrap;gap:4px 16px;align-items:baseline}
.topbar .county{font-weight:bold;font-size:17px;letter-spacing:1px}.topbar .notice{font-size:13px;opacity:.9;overflow-wrap:anywhere}
nav.tabs{background:#fff;border-bottom:1px solid #cbd5e1;padding:0 12px;display:flex;flex-wrap:wrap}
nav.tabs a{display:inline-block;padding:9px 10px;color:#334155;text-decoration:none;border-bottom:3px solid transparent}
nav.tabs a:hover,nav.tabs a:focus{border-bottom-color:#9f1239;color:#0f172a}
main{padding:12px 16px 32px;max-width:1400px;margin:0 auto}
h1{font-size:21px;margin:12px 0 8px}h2{font-size:17px;margin:20px 0 8px}
.muted{color:#64748b;font-size:12px}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:10px 0}
.card{background:#fff;border:1px solid #cbd5e1;border-radius:6px;padding:8px 14px;min-width:120px;flex:1 1 120px}
.card b{display:block;font-size:24px}.card span{color:#475569;font-size:13px}.card.overdue b{color:#b91c1c}.card.done b{color:#15803d}
.scroll{overflow:auto;max-width:100%;max-height:80vh;background:#fff;border:1px solid #cbd5e1;border-radius:4px}
table{border-collapse:collapse;background:#fff}
td,th{border:1px solid #cbd5e1;padding:4px 8px;font-size:13px;text-align:left;vertical-align:top}
th{background:#e2e8f0;position:sticky;top:0;z-index:1}
tr:nth-child(even) td{background:#f8fafc}
.cell{display:inline-block;min-width:22px;padding:1px 4px;border-radius:3px;color:#fff;text-decoration:none;font-size:12px;text-align:center}
.red{background:#b91c1c}.yellow{background:#d97706}.blue{background:#1d4ed8}.green{background:#15803d}.none{background:#94a3b8}
#charts figure{margin:12px 0;background:#fff;border:1px solid #cbd5e1;border-radius:4px;padding:8px;max-width:100%;overflow-x:auto}
.chart-unavailable{border:1px dashed #cbd5e1;padding:8px 12px;color:#64748b}.chart-unavailable figcaption{font-weight:bold;color:#0f172a}
.warn{color:#b45309}
button{font:inherit;font-size:14px;padding:4px 12px;border:1px solid #94a3b8;border-radius:4px;background:#fff;cursor:pointer}
input,select,textarea{font:inherit;font-size:14px;max-width:100%}
.primary,button.primary{background:#1d4ed8;color:#fff;border:0;padding:8px 18px;font-size:16px}
.danger,button.danger{background:#b91c1c;color:#fff;border:0;padding:8px 18px}
.error{border:1px solid #b91c1c;background:#fef2f2;color:#7f1d1d;padding:8px 12px;margin:8px 0;border-radius:4px}
.ok{border:1px solid #15803d;background:#f0fdf4;padding:8px 12px;margin:8px 0;border-radius:4px}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 12px}dl.facts dt{font-weight:bold}dl.facts dd{margin:0;overflow-wrap:anywhere}
/* 新建督办 */
.desk table{width:100%}.desk td.src{min-width:16em}.desk input[type=text],.desk input:not([type]){width:11em}
.desk select,.desk input{font-size:13px;margin:1px 0}.desk .row-flag{background:#fef3c7}
.desk tr.blocked td{background:#fee2e2}.flags li{margin:2px 0}.flag{color:#92400e;font-size:12px}.flag.blocking{color:#b91c1c;font-weight:bold}
mark.lead{background:#bfdbfe}mark.co{background:#e0e7ff}mark.deadline{background:#fde68a}mark.cadence{background:#bbf7d0}mark.quota{background:#fbcfe8}
.figures{border:1px solid #cbd5e1;padding:8px 12px;margin:8px 0;background:#f8fafc}.readonly{border:1px solid #1d4ed8;background:#eff6ff;padding:8px 12px}
body.frame{margin:0;background:#fff;font-size:14px}
/* 办理页面 (opened from WeChat on a phone): one column, nothing wider than the screen */
body.action main{max-width:560px;padding:12px}
body.action .box{background:#fff;border:1px solid #cbd5e1;border-radius:6px;padding:12px;margin:12px 0;overflow-wrap:anywhere}
body.action label{display:block;margin:10px 0 2px}
body.action input,body.action textarea{font-size:16px;padding:6px;width:100%}
body.action button{font-size:17px;padding:10px 18px;width:100%;background:#1d4ed8;color:#fff;border:0;border-radius:6px}
.refused{color:#b91c1c}.done{color:#15803d}
@media (max-width:480px){main{padding:8px 10px 24px}h1{font-size:19px}.topbar{padding:8px 10px}nav.tabs a{padding:8px 7px}}
`;

/** Changes whenever the stylesheet does: pages link `?v=<this>`, so a browser never keeps an old copy. */
export const STYLESHEET_VERSION = createHash('sha256').update(DASHBOARD_CSS).digest('hex').slice(0, 10);

export const STYLESHEET_LINK = `<link rel="stylesheet" href="${STYLESHEET_PATH}?v=${STYLESHEET_VERSION}">`;

/** The county a notice comes from, as its title opens (「大竹县人民政府办公室关于…」→ 大竹县), for the top bar. */
export function countyOf(noticeTitle: string | undefined): string | undefined {
  return /^([\p{Script=Han}]{1,10}?(?:自治县|县|区|市|旗))(?:人民政府|政府|委|党委|人大|纪委)/u.exec(noticeTitle ?? '')?.[1];
}
