// Provisioning health: per-token figures and a 7-day chart of SCIM writes per hour, drawn here
// as inline SVG (no chart library, no CDN).

import { badge, h, table, when } from "./dom.js";

export const HEALTH_TOKEN = `requestCount24h errorCount24h expiresSoon connectionTestedAt
  lastError { at status detail }`;
export const HEALTH = "health { requestCount24h errorCount24h connectionTestedAt series { hour writes errors } }";

const NS = "http://www.w3.org/2000/svg";

/** An SVG element; text children become text nodes. */
function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  for (const child of children.flat()) el.append(child instanceof Node ? child : String(child));
  return el;
}

/** The health figures of each live or recent token. */
export function healthTable(tokens) {
  const lastError = (e) => e ? [when(e.at), ` ${e.status}: ${e.detail}`] : "none";
  const expires = (t) => t.expiresSoon ? [when(t.expiresAt), " ", badge("expires soon", "warn")] : when(t.expiresAt);
  return table("Token health (figures of other workers arrive within seconds)",
    ["Token", "Last used", "Requests, 24 h", "Errors, 24 h", "Last error", "Connection tested", "Expires"],
    tokens, (t) => [t.name, when(t.lastUsedAt), String(t.requestCount24h), String(t.errorCount24h),
      lastError(t.lastError), t.connectionTestedAt ? when(t.connectionTestedAt) : "not seen", expires(t)],
    "No SCIM token yet.");
}

const W = 840;
const H = 180;
const PAD = { left: 40, right: 8, top: 10, bottom: 28 };

/** SCIM writes (bars) and failed writes (red bars in front) per hour, oldest hour left. */
export function writesChart(series) {
  const total = series.reduce((n, p) => n + p.writes, 0);
  const failed = series.reduce((n, p) => n + p.errors, 0);
  const peak = Math.max(1, ...series.map((p) => p.writes));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const step = plotW / Math.max(1, series.length);
  const y = (n) => PAD.top + plotH - (n / peak) * plotH;
  const bars = series.flatMap((p, i) => {
    if (!p.writes) return [];
    const x = PAD.left + i * step;
    const label = `${p.hour.slice(0, 10)} ${p.hour.slice(11, 16)} UTC: ${p.writes} writes, ${p.errors} failed`;
    return [svg("g", { class: "hour" }, svg("title", {}, label),
      svg("rect", { class: "writes", x: x.toFixed(1), y: y(p.writes).toFixed(1), width: Math.max(1, step - 1).toFixed(1),
        height: (PAD.top + plotH - y(p.writes)).toFixed(1) }),
      p.errors ? svg("rect", { class: "errors", x: x.toFixed(1), y: y(p.errors).toFixed(1),
        width: Math.max(1, step - 1).toFixed(1), height: (PAD.top + plotH - y(p.errors)).toFixed(1) }) : [])];
  });
  const days = series.flatMap((p, i) => p.hour.slice(11, 13) === "00"
    ? [svg("line", { class: "grid", x1: PAD.left + i * step, x2: PAD.left + i * step, y1: PAD.top, y2: PAD.top + plotH }),
      svg("text", { x: PAD.left + i * step + 2, y: H - 8 }, p.hour.slice(5, 10))]
    : []);
  const summary = `${total} SCIM writes in the last 7 days, ${failed} failed; busiest hour ${peak === 1 && !total ? 0 : peak} writes.`;
  const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-labelledby": "chart-title chart-desc",
    class: "chart", id: "writes-chart" },
  svg("title", { id: "chart-title" }, "SCIM writes per hour, last 7 days"),
  svg("desc", { id: "chart-desc" }, summary),
  svg("line", { class: "axis", x1: PAD.left, x2: W - PAD.right, y1: PAD.top + plotH, y2: PAD.top + plotH }),
  svg("text", { x: PAD.left - 6, y: PAD.top + 10, "text-anchor": "end" }, String(peak)),
  svg("text", { x: PAD.left - 6, y: PAD.top + plotH, "text-anchor": "end" }, "0"),
  days, bars);
  return h("figure", { class: "chart" }, chart,
    h("figcaption", {}, h("span", { class: "key writes" }, "writes"), " ",
      h("span", { class: "key errors" }, "failed writes"), ` — ${summary}`));
}
