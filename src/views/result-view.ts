/**
 * The result view (MCP Apps, SEP-1865): one self-contained HTML page that hosts such as Claude
 * and ChatGPT render in a sandboxed iframe beside a query's answer. It speaks the extension's
 * postMessage protocol itself (ui/initialize, then tool-input and tool-result), rather than
 * shipping the ext-apps App client (hundreds of KB; its 2.x line expects SDK 2): the view needs
 * four messages of it. It draws the rows as a sortable table and, where the shape fits, as a bar
 * or line chart in plain SVG. Every value reaches the page as text (textContent), never as
 * markup; it fetches nothing and writes nothing outside its own document.
 */
export const RESULT_VIEW_URI = 'ui://classic-models/result';
export const RESULT_VIEW_MIME = 'text/html;profile=mcp-app';
export const UI_EXTENSION = 'io.modelcontextprotocol/ui';

const STYLE = `
:root{color-scheme:light dark;--bg:var(--color-background-primary,#fff);--fg:var(--color-text-primary,#1d2330);--muted:var(--color-text-secondary,#5b6479);--line:var(--color-border-primary,#d5d9e2);--accent:var(--color-ring-primary,#2b59c3);--font:var(--font-sans,system-ui,-apple-system,"Segoe UI",sans-serif)}
:root[data-theme=dark]{--bg:var(--color-background-primary,#1f232d);--fg:var(--color-text-primary,#e6e8ee);--muted:var(--color-text-secondary,#a9b1c4);--line:var(--color-border-primary,#3a4152);--accent:var(--color-ring-primary,#8fb0ff)}
*{box-sizing:border-box}body{margin:0;padding:12px;background:var(--bg);color:var(--fg);font:14px/1.4 var(--font)}
header{display:flex;flex-wrap:wrap;gap:8px;align-items:center;justify-content:space-between;margin-bottom:8px}
.meta{color:var(--muted);font-size:12px}.note{color:var(--muted);font-size:12px;margin:6px 0;border-left:3px solid var(--accent);padding-left:8px}
.switch{display:flex;gap:4px}.switch button,th button{font:inherit;color:inherit;background:none;border:1px solid var(--line);border-radius:6px;padding:2px 10px;cursor:pointer}
.switch button[aria-pressed=true]{background:var(--accent);border-color:var(--accent);color:var(--bg)}
button:focus-visible{outline:2px solid var(--accent);outline-offset:1px}
.scroll{overflow:auto;max-height:var(--max-height,480px)}
table{border-collapse:collapse;width:100%}th,td{padding:4px 8px;border-bottom:1px solid var(--line);text-align:left;white-space:nowrap}
th{position:sticky;top:0;background:var(--bg)}th button{border:0;padding:0;font-weight:600}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
svg{width:100%;height:auto;display:block}svg text{fill:var(--fg);font:11px var(--font)}svg .bar{fill:var(--accent)}svg .line{fill:none;stroke:var(--accent);stroke-width:2}svg .point{fill:var(--accent)}svg .axis{stroke:var(--line)}
.empty{color:var(--muted);padding:16px 0}[hidden]{display:none!important}`;

/** The view's script, run in the host's sandboxed iframe. Plain browser JavaScript. */
const SCRIPT = String.raw`(() => {
  const $ = (tag, attrs, text) => { const e = document.createElement(tag); for (const k in attrs || {}) e.setAttribute(k, attrs[k]); if (text !== undefined) e.textContent = text; return e; };
  const SVG = 'http://www.w3.org/2000/svg';
  const s = (tag, attrs, text) => { const e = document.createElementNS(SVG, tag); for (const k in attrs || {}) e.setAttribute(k, String(attrs[k])); if (text !== undefined) e.textContent = text; return e; };
  let nextId = 1;
  const pending = new Map();
  const send = (msg) => window.parent.postMessage(Object.assign({ jsonrpc: '2.0' }, msg), '*');
  const request = (method, params) => new Promise((resolve, reject) => { const id = nextId++; pending.set(id, { resolve, reject }); send({ id, method, params }); });
  const DATE = /^\d{4}-\d{2}(-\d{2})?$/;
  const num = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
  const day = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' });
  const month = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', timeZone: 'UTC' });
  const root = document.getElementById('app');
  let state = { columns: [], rows: [], meta: {}, sort: null, view: 'table' };

  function applyContext(ctx) {
    if (!ctx) return;
    if (ctx.theme) document.documentElement.dataset.theme = ctx.theme;
    const vars = ctx.styles && ctx.styles.variables;
    for (const k in vars || {}) if (/^--[\w-]+$/.test(k) && typeof vars[k] === 'string') document.documentElement.style.setProperty(k, vars[k]);
    const dims = ctx.containerDimensions;
    const max = dims && (dims.maxHeight || dims.height);
    if (typeof max === 'number') document.documentElement.style.setProperty('--max-height', Math.max(120, max - 80) + 'px');
  }

  /** The rows as columns and arrays, whatever tool made them (the query's arrays, the list tools' objects). */
  function tableOf(sc) {
    if (!sc || !Array.isArray(sc.rows)) return { columns: [], rows: [] };
    if (Array.isArray(sc.columns)) return { columns: sc.columns.map(String), rows: sc.rows };
    const columns = [];
    for (const r of sc.rows) for (const k in r) if (!columns.includes(k)) columns.push(k);
    return { columns, rows: sc.rows.map((r) => columns.map((c) => (c in r ? r[c] : null))) };
  }

  const isNumber = (v) => typeof v === 'number' || (typeof v === 'string' && v.trim() !== '' && /^-?\d+(\.\d+)?$/.test(v));
  const kindOf = (i) => {
    const vals = state.rows.map((r) => r[i]).filter((v) => v !== null && v !== undefined);
    if (vals.length && vals.every((v) => typeof v === 'string' && DATE.test(v))) return 'date';
    if (vals.length && vals.every(isNumber)) return 'number';
    return 'text';
  };
  const show = (v, kind) => {
    if (v === null || v === undefined) return '';
    if (kind === 'number') return num.format(Number(v));
    if (kind === 'date') { const d = new Date(v.length === 7 ? v + '-01T00:00:00Z' : v + 'T00:00:00Z'); return isNaN(d) ? String(v) : (v.length === 7 ? month : day).format(d); }
    return typeof v === 'object' ? JSON.stringify(v) : String(v);
  };

  function sorted(kinds) {
    if (!state.sort) return state.rows;
    const { i, dir } = state.sort;
    const key = (v) => (v === null || v === undefined ? null : kinds[i] === 'number' ? Number(v) : String(v));
    return state.rows.slice().sort((a, b) => { const x = key(a[i]), y = key(b[i]); if (x === y) return 0; if (x === null) return 1; if (y === null) return -1; return (x < y ? -1 : 1) * dir; });
  }

  /** What chart fits: a text or date column to label by and a numeric one to measure; a date in order draws a line. */
  function chartOf(kinds) {
    const label = kinds.findIndex((k) => k !== 'number');
    const value = kinds.findIndex((k, i) => k === 'number' && i !== label);
    if (label < 0 || value < 0 || state.rows.length < 1 || state.rows.length > 60) return null;
    const ordered = kinds[label] === 'date' && state.rows.every((r, j) => j === 0 || String(state.rows[j - 1][label]) <= String(r[label]));
    return { label, value, type: ordered ? 'line' : 'bar' };
  }

  function drawChart(chart, kinds) {
    const rows = state.rows;
    const values = rows.map((r) => Number(r[chart.value]) || 0);
    const lo = Math.min(0, ...values), hi = Math.max(0, ...values) || 1;
    const W = 640, rowH = 22, left = 160, right = 80;
    const fig = $('figure', { style: 'margin:0' });
    const crowded = rows.length > 6;
    const lineH = crowded ? 300 : 260;
    const svg = s('svg', { viewBox: '0 0 ' + W + ' ' + (chart.type === 'bar' ? rows.length * rowH + 10 : lineH), role: 'img', 'aria-label': state.columns[chart.value] + ' by ' + state.columns[chart.label] });
    if (chart.type === 'bar') {
      const x = (v) => left + ((v - lo) / (hi - lo)) * (W - left - right);
      rows.forEach((r, j) => {
        const y = j * rowH + 5, v = values[j];
        const g = s('g', { class: 'row' });
        g.appendChild(s('text', { x: left - 6, y: y + 14, 'text-anchor': 'end', class: 'label' }, show(r[chart.label], kinds[chart.label]).slice(0, 24)));
        g.appendChild(s('rect', { class: 'bar', x: Math.min(x(0), x(v)), y, width: Math.max(1, Math.abs(x(v) - x(0))), height: rowH - 6 }));
        g.appendChild(s('text', { x: Math.max(x(0), x(v)) + 4, y: y + 14, class: 'value' }, show(r[chart.value], 'number')));
        svg.appendChild(g);
      });
    } else {
      const H = lineH, top = 10, bottom = crowded ? 70 : 40, l = 90;
      const x = (j) => l + (rows.length === 1 ? 0.5 : j / (rows.length - 1)) * (W - l - 20);
      const y = (v) => top + (1 - (v - lo) / (hi - lo)) * (H - top - bottom);
      svg.appendChild(s('line', { class: 'axis', x1: l, y1: y(lo), x2: W - 20, y2: y(lo) }));
      svg.appendChild(s('text', { x: l - 6, y: y(hi) + 4, 'text-anchor': 'end', class: 'tick' }, num.format(hi)));
      svg.appendChild(s('text', { x: l - 6, y: y(lo) + 4, 'text-anchor': 'end', class: 'tick' }, num.format(lo)));
      svg.appendChild(s('polyline', { class: 'line', points: values.map((v, j) => x(j) + ',' + y(v)).join(' ') }));
      rows.forEach((r, j) => {
        const g = s('g', { class: 'row' });
        g.appendChild(s('circle', { class: 'point', cx: x(j), cy: y(values[j]), r: 3.5 }));
        // Many labels lean, so that neighbours do not overwrite each other.
        const ly = H - bottom + 16;
        g.appendChild(s('text', crowded ? { x: x(j), y: ly, 'text-anchor': 'end', transform: 'rotate(-35 ' + x(j) + ' ' + ly + ')', class: 'label' } : { x: x(j), y: ly, 'text-anchor': 'middle', class: 'label' }, show(r[chart.label], kinds[chart.label])));
        svg.appendChild(g);
      });
    }
    fig.appendChild(svg);
    fig.appendChild($('figcaption', { class: 'meta' }, state.columns[chart.value] + ' by ' + state.columns[chart.label]));
    return fig;
  }

  function render() {
    root.textContent = '';
    const kinds = state.columns.map((_, i) => kindOf(i));
    const chart = chartOf(kinds);
    if (!chart && state.view === 'chart') state.view = 'table';
    const header = $('header');
    const m = state.meta;
    header.appendChild($('span', { class: 'meta', id: 'count' }, state.rows.length + (state.rows.length === 1 ? ' row' : ' rows') + (m.as_of ? ' · as of ' + new Date(m.as_of).toLocaleString() : '')));
    if (chart) {
      const sw = $('div', { class: 'switch', role: 'group', 'aria-label': 'Show as' });
      for (const v of ['chart', 'table']) {
        const b = $('button', { type: 'button', 'aria-pressed': String(state.view === v), 'data-view': v }, v === 'chart' ? 'Chart' : 'Table');
        b.addEventListener('click', () => { state.view = v; render(); });
        sw.appendChild(b);
      }
      header.appendChild(sw);
    }
    root.appendChild(header);
    if (m.truncated || m.note) root.appendChild($('p', { class: 'note', role: 'note' }, m.note || 'The result was cut short.'));
    if (!state.rows.length) { root.appendChild($('p', { class: 'empty' }, 'No rows.')); return resized(); }
    if (chart && state.view === 'chart') { root.appendChild(drawChart(chart, kinds)); return resized(); }
    const wrap = $('div', { class: 'scroll' });
    const table = $('table');
    const thead = $('thead'), tr = $('tr');
    state.columns.forEach((c, i) => {
      const th = $('th', { scope: 'col', class: kinds[i] === 'number' ? 'num' : '', 'aria-sort': state.sort && state.sort.i === i ? (state.sort.dir > 0 ? 'ascending' : 'descending') : 'none' });
      const b = $('button', { type: 'button' }, c + (state.sort && state.sort.i === i ? (state.sort.dir > 0 ? ' ▲' : ' ▼') : ''));
      b.addEventListener('click', () => { state.sort = { i, dir: state.sort && state.sort.i === i ? -state.sort.dir : 1 }; render(); });
      th.appendChild(b); tr.appendChild(th);
    });
    thead.appendChild(tr); table.appendChild(thead);
    const tbody = $('tbody');
    const frag = document.createDocumentFragment();
    for (const r of sorted(kinds)) {
      const row = $('tr');
      r.forEach((v, i) => { const td = $('td', { class: kinds[i] === 'number' ? 'num' : '' }, show(v, kinds[i])); if (kinds[i] === 'date' && v) td.title = String(v); row.appendChild(td); });
      frag.appendChild(row);
    }
    tbody.appendChild(frag); table.appendChild(tbody); wrap.appendChild(table); root.appendChild(wrap);
    resized();
  }

  function resized() {
    send({ method: 'ui/notifications/size-changed', params: { width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight } });
  }

  function onResult(result) {
    const sc = (result && result.structuredContent) || {};
    const t = tableOf(sc);
    state = { columns: t.columns, rows: t.rows, meta: { as_of: sc.as_of, truncated: sc.truncated, note: sc.note || (result && result.isError ? 'The tool answered with an error.' : undefined) }, sort: null, view: 'table' };
    const kinds = state.columns.map((_, i) => kindOf(i));
    if (chartOf(kinds)) state.view = 'chart';
    render();
    document.body.dataset.rendered = String(performance.now());
  }

  window.addEventListener('message', (e) => {
    if (e.source !== window.parent) return;
    const msg = e.data;
    if (!msg || msg.jsonrpc !== '2.0') return;
    if (msg.id !== undefined && pending.has(msg.id) && !msg.method) {
      const p = pending.get(msg.id); pending.delete(msg.id);
      return msg.error ? p.reject(msg.error) : p.resolve(msg.result);
    }
    if (msg.method === 'ui/notifications/tool-result') onResult(msg.params);
    else if (msg.method === 'ui/notifications/host-context-changed') { applyContext(msg.params); render(); }
    else if (msg.method === 'ping' && msg.id !== undefined) send({ id: msg.id, result: {} });
  });

  request('ui/initialize', { protocolVersion: '2026-01-26', appInfo: { name: 'classic-models-result', version: '1' }, appCapabilities: {} }).then((r) => {
    applyContext(r && r.hostContext);
    send({ method: 'ui/notifications/initialized', params: {} });
  }, () => undefined);
})();`;

export function resultViewHtml(): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Classic Models result</title><style>${STYLE}</style></head><body><main id="app" aria-live="polite"><p class="empty">Waiting for the result…</p></main><script>${SCRIPT}</script></body></html>`;
}
