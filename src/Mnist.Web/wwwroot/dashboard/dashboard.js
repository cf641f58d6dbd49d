// The studies dashboard: polls the JSON API and redraws in place (no reload), every chart a hand-drawn SVG.
// Stable ids and data attributes are its public interface (docs/dashboard.md): tests and scripts drive them.
"use strict";

const POLL_MS = 1500;
const SVG_NS = ["http:", "", "www.w3.org", "2000", "svg"].join("/"); // SVG's namespace: a name, never fetched (the page loads nothing from outside)
const STATUSES = ["completed", "pruned", "failed", "running", "queued", "paused"];

const state = {
  selected: null,     // the chosen study's name
  detail: null,       // GET /api/studies/{name}
  trials: [],         // GET /api/studies/{name}/trials -> trials
  sort: { key: "id", dir: 1 },
  polls: 0,
  timer: null,
};

// ---------- small helpers ----------

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  setAttrs(node, attrs);
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c));
  return node;
}

function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  setAttrs(node, attrs);
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c));
  return node;
}

function setAttrs(node, attrs) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "text") node.textContent = v;
    else node.setAttribute(k, v === true ? "" : String(v));
  }
}

function title(text) { return svg("title", { text }); }

function fmtScore(v) { return v === null || v === undefined ? "–" : v.toFixed(4); }
function fmtNum(v, digits = 2) {
  if (v === null || v === undefined) return "–";
  return Number.isInteger(v) ? String(v) : String(Number(v.toFixed(digits)));
}
function fmtValue(v) {
  if (v === null || v === undefined) return "–";
  if (typeof v === "string") return v;
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 0.01 || a >= 1e5) ? v.toExponential(2) : String(Number(v.toPrecision(4)));
}
function fmtAge(s) { return s === null || s === undefined ? "–" : s < 90 ? `${s.toFixed(0)} s ago` : `${(s / 60).toFixed(1)} min ago`; }

/** A worker's name as mnist tune makes it (host:pid:...): its host and process, the rest in the API. */
function shortWorker(w) { return w === null || w === undefined ? "–" : w.split(":").slice(0, 2).join(":"); }

function statusLabel(t) { return t.status === "pruned" && t.rung !== null && t.rung !== undefined ? `pruned@${t.rung}` : t.status; }

/** Better is 1, worse 0, between the scores' extremes; the direction is the objective's. */
function goodness(score, lo, hi, direction) {
  if (hi === lo) return 1;
  const t = (score - lo) / (hi - lo);
  return direction === "max" ? t : 1 - t;
}

/** A colour from pale yellow (worse) to deep blue (better), viridis-like. */
function scoreColour(g) {
  const stops = [[253, 231, 37], [94, 201, 98], [33, 145, 140], [59, 82, 139], [68, 1, 84]];
  const x = Math.min(1, Math.max(0, g)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const c = stops[i].map((v, k) => Math.round(v + (stops[i + 1][k] - v) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/** A distinct colour per trial number, for the curves. */
function trialColour(id) { return `hsl(${(id * 137.508) % 360}, 62%, 45%)`; }

function extent(values) {
  const v = values.filter(x => x !== null && x !== undefined && Number.isFinite(x));
  if (v.length === 0) return [0, 1];
  let lo = Math.min(...v), hi = Math.max(...v);
  if (lo === hi) { const pad = Math.abs(lo) * 0.01 || 0.01; lo -= pad; hi += pad; }
  return [lo, hi];
}

function linear(d0, d1, r0, r1) { return v => r0 + (v - d0) / (d1 - d0 || 1) * (r1 - r0); }

function niceTicks(lo, hi, count = 5) {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / count, mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map(m => m * mag).find(s => span / s <= count) || raw;
  const ticks = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

/** Where a hyperparameter's value sits on its axis, 0 to 1; null when it has none (inactive). */
function position(p, v) {
  if (v === null || v === undefined) return null;
  if (p.type === "choice" || p.type === "fixed") {
    const i = p.choices.indexOf(v);
    if (i < 0) return null;
    return p.choices.length === 1 ? 0.5 : i / (p.choices.length - 1);
  }
  if (p.min === p.max) return 0.5;
  if (p.log) return (Math.log(v) - Math.log(p.min)) / (Math.log(p.max) - Math.log(p.min));
  return (v - p.min) / (p.max - p.min);
}

/** An axis' labelled ticks: [position 0..1, label]. */
function parameterTicks(p) {
  if (p.type === "choice" || p.type === "fixed") return p.choices.map((c, i) => [p.choices.length === 1 ? 0.5 : i / (p.choices.length - 1), c]);
  if (p.log) {
    const ticks = [[0, fmtValue(p.min)], [1, fmtValue(p.max)]];
    for (let e = Math.ceil(Math.log10(p.min)); Math.pow(10, e) < p.max; e++) {
      const v = Math.pow(10, e);
      if (v > p.min) ticks.push([position(p, v), fmtValue(v)]);
    }
    return ticks;
  }
  return niceTicks(p.min, p.max, 4).filter(v => p.type !== "int" || Number.isInteger(v)).map(v => [position(p, v), fmtValue(v)]);
}

function emptyNote(text) { return el("p", { class: "empty", text }); }

// ---------- charts ----------

const PLOT = { w: 560, h: 270, left: 52, right: 14, top: 12, bottom: 32 };

function frame(id, w, h, xTicks, yTicks, xLabel, yLabel) {
  const root = svg("svg", { id, width: w, height: h, viewBox: `0 0 ${w} ${h}`, role: "img" });
  for (const [y, label] of yTicks) {
    root.append(svg("line", { class: "grid", x1: PLOT.left, x2: w - PLOT.right, y1: y, y2: y }));
    root.append(svg("text", { x: PLOT.left - 5, y: y + 3, "text-anchor": "end", text: label }));
  }
  for (const [x, label] of xTicks) root.append(svg("text", { x, y: h - PLOT.bottom + 14, "text-anchor": "middle", text: label }));
  root.append(svg("line", { class: "axis", x1: PLOT.left, x2: w - PLOT.right, y1: h - PLOT.bottom, y2: h - PLOT.bottom }));
  root.append(svg("line", { class: "axis", x1: PLOT.left, x2: PLOT.left, y1: PLOT.top, y2: h - PLOT.bottom }));
  if (xLabel) root.append(svg("text", { x: (PLOT.left + w - PLOT.right) / 2, y: h - 4, "text-anchor": "middle", text: xLabel }));
  if (yLabel) root.append(svg("text", { x: 12, y: (PLOT.top + h - PLOT.bottom) / 2, "text-anchor": "middle", transform: `rotate(-90 12 ${(PLOT.top + h - PLOT.bottom) / 2})`, text: yLabel }));
  return root;
}

/** Each trial's score by trial number (pruned ones hollow), and the best completed score so far as a line. */
function drawHistory(trials, objective, direction) {
  const box = document.getElementById("history");
  const scored = trials.filter(t => t.score !== null);
  const { w, h } = PLOT;
  const maxId = Math.max(1, ...trials.map(t => t.id));
  const [lo, hi] = extent(scored.map(t => t.score));
  const x = linear(0, maxId, PLOT.left + 8, w - PLOT.right - 8);
  const y = linear(lo, hi, h - PLOT.bottom - 6, PLOT.top + 6);
  const root = frame("history-plot", w, h,
    niceTicks(0, maxId, 8).filter(Number.isInteger).map(v => [x(v), String(v)]),
    niceTicks(lo, hi, 5).map(v => [y(v), fmtNum(v, 4)]), "trial", objective);
  let best = null;
  const line = [];
  for (const t of [...trials].sort((a, b) => a.id - b.id)) {
    if (t.status !== "completed" || t.score === null) continue;
    const previous = best;
    if (best === null || (direction === "max" ? t.score > best : t.score < best)) best = t.score;
    if (previous === null) line.push(`M${x(t.id).toFixed(1)},${y(best).toFixed(1)}`);
    else line.push(`L${x(t.id).toFixed(1)},${y(previous).toFixed(1)}`, `L${x(t.id).toFixed(1)},${y(best).toFixed(1)}`);
  }
  if (line.length > 0) {
    line.push(`L${x(maxId).toFixed(1)},${y(best).toFixed(1)}`);
    root.append(svg("path", { id: "history-best", class: "best-line", d: line.join(" ") }, title(`best so far: ${fmtScore(best)}`)));
  }
  for (const t of scored) {
    root.append(svg("circle", { cx: x(t.id).toFixed(1), cy: y(t.score).toFixed(1), r: 4, "data-trial": t.id, "data-status": t.status },
      title(`trial ${t.id} (${statusLabel(t)}): ${fmtScore(t.score)}`)));
  }
  box.replaceChildren(root);
  if (scored.length === 0) box.append(emptyNote("No trial has a score yet."));
}

/** A trial's objective per epoch, with its values at the pruner's rungs between; a pruned trial ends in a cross. */
function curvePoints(t, objective) {
  const points = t.curve.filter(e => e[objective] !== null).map(e => [e.epoch, e[objective]]);
  for (const r of t.intermediate) {
    if (r.value !== null && !points.some(p => Math.abs(p[0] - r.epochs) < 1e-6)) points.push([r.epochs, r.value]);
  }
  return points.sort((a, b) => a[0] - b[0]);
}

function drawCurves(trials, objective) {
  const box = document.getElementById("curves");
  const { w, h } = PLOT;
  const curves = trials.map(t => ({ t, points: curvePoints(t, objective) })).filter(c => c.points.length > 0);
  const xs = curves.flatMap(c => c.points.map(p => p[0]));
  const ys = curves.flatMap(c => c.points.map(p => p[1]));
  const maxX = Math.max(1, ...xs);
  const [lo, hi] = extent(ys);
  const x = linear(0, maxX, PLOT.left + 4, w - PLOT.right - 4);
  const y = linear(lo, hi, h - PLOT.bottom - 6, PLOT.top + 6);
  const root = frame("curves-plot", w, h, niceTicks(0, maxX, 6).map(v => [x(v), fmtNum(v)]),
    niceTicks(lo, hi, 5).map(v => [y(v), fmtNum(v, 4)]), "epoch", objective);
  for (const { t, points } of curves) {
    const d = points.map((p, i) => `${i === 0 ? "M" : "L"}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(" ");
    const g = svg("g", { "data-trial": t.id, "data-status": t.status });
    g.append(svg("path", { class: "curve", d, stroke: trialColour(t.id), "data-trial": t.id, "data-status": t.status }, title(`trial ${t.id} (${statusLabel(t)})`)));
    for (const p of points) g.append(svg("circle", { cx: x(p[0]).toFixed(1), cy: y(p[1]).toFixed(1), r: 1.8, fill: trialColour(t.id) }));
    if (t.status === "pruned") {
      const last = points[points.length - 1];
      const cx = x(t.epochs ?? last[0]), cy = y(t.score ?? last[1]);
      g.append(svg("g", { class: "pruned-mark", "data-trial": t.id, "data-rung": t.rung },
        svg("line", { x1: cx - 4, y1: cy - 4, x2: cx + 4, y2: cy + 4 }), svg("line", { x1: cx - 4, y1: cy + 4, x2: cx + 4, y2: cy - 4 }),
        title(`trial ${t.id} pruned at rung ${t.rung} after ${fmtNum(t.epochs, 3)} epochs`)));
    }
    root.append(g);
  }
  box.replaceChildren(root);
  if (curves.length === 0) box.append(emptyNote("No epoch or rung recorded yet."));
}

/** One vertical axis per hyperparameter and one for the score; each trial with a score is a line across them. */
function drawParallel(trials, space, objective, direction) {
  const box = document.getElementById("parallel");
  const scored = trials.filter(t => t.score !== null);
  const axes = space.length + 1;
  const w = Math.max(560, axes * 120), h = 280, top = 34, bottom = h - 24, left = 60, right = w - 60;
  const ax = i => axes === 1 ? (left + right) / 2 : left + (right - left) * i / (axes - 1);
  const y = u => bottom - u * (bottom - top);
  const [lo, hi] = extent(scored.map(t => t.score));
  const scoreAxis = { name: objective, type: "float", min: lo, max: hi, log: false };
  const root = svg("svg", { id: "parallel-plot", width: w, height: h, viewBox: `0 0 ${w} ${h}`, role: "img" });
  [...space, scoreAxis].forEach((p, i) => {
    const g = svg("g", { class: "pc-axis", "data-param": i < space.length ? p.name : null, "data-score": i === space.length ? "" : null });
    g.append(svg("line", { class: "axis", x1: ax(i), x2: ax(i), y1: top, y2: bottom }));
    g.append(svg("text", { x: ax(i), y: top - 14, "text-anchor": "middle", "font-weight": "600", text: p.name }));
    const ticks = i < space.length ? parameterTicks(p) : niceTicks(lo, hi, 4).map(v => [(v - lo) / (hi - lo), fmtNum(v, 4)]);
    for (const [u, label] of ticks) g.append(svg("text", { x: ax(i) + 4, y: y(u) + 3, text: label }));
    root.append(g);
  });
  for (const t of [...scored].sort((a, b) => (a.status === "pruned") - (b.status === "pruned")).reverse()) {
    const pts = [];
    space.forEach((p, i) => { const u = position(p, t.hyperparameters[p.name]); if (u !== null) pts.push([ax(i), y(u)]); });
    pts.push([ax(space.length), y((t.score - lo) / (hi - lo))]);
    const d = pts.map((p, i) => `${i === 0 ? "M" : "L"}${p[0].toFixed(1)},${p[1].toFixed(1)}`).join(" ");
    root.append(svg("path", { class: "pc-line", d, stroke: scoreColour(goodness(t.score, lo, hi, direction)), "data-trial": t.id, "data-status": t.status },
      title(`trial ${t.id} (${statusLabel(t)}): ${fmtScore(t.score)}`)));
  }
  box.replaceChildren(root);
  if (scored.length === 0) box.append(emptyNote("No trial has a score yet."));
}

/** Score against each hyperparameter's value, one small chart per hyperparameter. */
function drawSlices(trials, space, objective) {
  const box = document.getElementById("slices");
  const scored = trials.filter(t => t.score !== null);
  const [lo, hi] = extent(scored.map(t => t.score));
  const w = 270, h = 190, l = 48, r = 10, tp = 22, b = 34;
  const charts = space.map(p => {
    const root = svg("svg", { width: w, height: h, viewBox: `0 0 ${w} ${h}`, role: "img", "data-param": p.name });
    const x = u => l + 8 + u * (w - l - r - 16);
    const y = linear(lo, hi, h - b - 6, tp + 6);
    root.append(svg("text", { x: (l + w - r) / 2, y: 14, "text-anchor": "middle", "font-weight": "600", text: p.name + (p.log ? " (log)" : "") }));
    for (const v of niceTicks(lo, hi, 4)) {
      root.append(svg("line", { class: "grid", x1: l, x2: w - r, y1: y(v), y2: y(v) }));
      root.append(svg("text", { x: l - 4, y: y(v) + 3, "text-anchor": "end", text: fmtNum(v, 4) }));
    }
    for (const [u, label] of parameterTicks(p)) root.append(svg("text", { x: x(u), y: h - b + 14, "text-anchor": "middle", text: label }));
    root.append(svg("line", { class: "axis", x1: l, x2: w - r, y1: h - b, y2: h - b }));
    root.append(svg("line", { class: "axis", x1: l, x2: l, y1: tp, y2: h - b }));
    root.append(svg("text", { x: (l + w - r) / 2, y: h - 4, "text-anchor": "middle", text: objective }));
    for (const t of scored) {
      const u = position(p, t.hyperparameters[p.name]);
      if (u === null) continue;
      root.append(svg("circle", { cx: x(u).toFixed(1), cy: y(t.score).toFixed(1), r: 3.5, "data-trial": t.id, "data-status": t.status },
        title(`trial ${t.id} (${statusLabel(t)}): ${p.name} = ${fmtValue(t.hyperparameters[p.name])}, ${fmtScore(t.score)}`)));
    }
    return root;
  });
  box.replaceChildren(...charts);
  if (space.length === 0) box.append(emptyNote("The search space is empty."));
}

/**
 * Hyperparameter importances as horizontal bars: list is [{name, importance}], importance from 0 to 1.
 * Fed by GET /api/studies/{name}/importance whenever the study's completed trials change; hidden while it has too few.
 */
function drawImportance(list) {
  const block = document.getElementById("importance-block");
  const box = document.getElementById("importance");
  const rows = [...(list || [])].sort((a, b) => b.importance - a.importance);
  const w = 520, bar = 18, gap = 6, left = 150, h = Math.max(1, rows.length) * (bar + gap) + 10;
  const max = Math.max(1e-12, ...rows.map(r => r.importance));
  const root = svg("svg", { id: "importance-plot", width: w, height: h, viewBox: `0 0 ${w} ${h}`, role: "img" });
  rows.forEach((r, i) => {
    const yy = 5 + i * (bar + gap);
    const g = svg("g", { "data-param": r.name, "data-importance": r.importance });
    g.append(svg("text", { x: left - 6, y: yy + bar * 0.7, "text-anchor": "end", text: r.name }));
    g.append(svg("rect", { class: "bar", x: left, y: yy, height: bar, width: Math.max(0, (w - left - 60) * r.importance / max) }));
    g.append(svg("text", { x: left + (w - left - 60) * r.importance / max + 4, y: yy + bar * 0.7, text: r.importance.toFixed(3) }));
    root.append(g);
  });
  box.replaceChildren(root);
  block.hidden = rows.length === 0;
}

// ---------- study state, best trial, running trials, space ----------

function drawState(d) {
  document.getElementById("study-title").textContent = `${d.name} · ${d.objective} (${d.direction === "max" ? "maximised" : "minimised"})`;
  const counts = el("div", { class: "counts" },
    el("span", { "data-count": "trials" }, el("b", { text: d.trials }), " trials"),
    STATUSES.map(s => el("span", { "data-count": s }, el("b", { text: d.counts[s] }), ` ${s}`)));
  document.getElementById("study-state").replaceChildren(counts, ...(d.dataset ? [el("div", { class: "muted", text: `dataset ${d.dataset}` })] : []));
  const best = document.getElementById("best");
  if (!d.best) {
    best.removeAttribute("data-trial");
    best.replaceChildren(el("div", { class: "muted", text: "No completed trial yet." }));
  } else {
    best.setAttribute("data-trial", d.best.id);
    best.replaceChildren(
      el("div", {}, "Best: trial ", el("b", { text: d.best.id }), ` · ${d.objective} `, el("b", { class: "score", text: fmtScore(d.best.score) }),
        d.best.best_epoch ? ` at epoch ${d.best.best_epoch}` : ""),
      el("div", { class: "muted" }, Object.entries(d.best.hyperparameters).filter(([, v]) => v !== null).map(([k, v]) => `${k}=${fmtValue(v)}`).join(", ")));
  }
  const running = document.getElementById("running");
  document.getElementById("running-block").hidden = d.running.length === 0;
  running.replaceChildren(
    el("tr", {}, el("th", { text: "trial" }), el("th", { text: "worker" }), el("th", { text: "epochs" }), el("th", { text: "heartbeat" })),
    ...d.running.map(r => el("tr", { "data-trial": r.id, "data-heartbeat-age": r.heartbeat_age_seconds },
      el("td", { text: r.id }), el("td", { text: r.worker ?? "–" }), el("td", { text: fmtNum(r.epochs) }), el("td", { text: fmtAge(r.heartbeat_age_seconds) }))));
}

function describeParameter(p) {
  if (p.type === "choice") return p.choices.join(", ");
  if (p.type === "fixed") return "fixed at " + p.choices[0];
  return `${fmtValue(p.min)} … ${fmtValue(p.max)}` + (p.log ? " (log)" : "") + (p.step !== null && !(p.type === "int" && p.step === 1) ? ` step ${fmtValue(p.step)}` : "");
}

function drawSpace(space) {
  document.getElementById("space").replaceChildren(
    el("tr", {}, el("th", { text: "hyperparameter" }), el("th", { text: "type" }), el("th", { text: "range or choices" }), el("th", { text: "active when" })),
    ...space.map(p => el("tr", { "data-param": p.name },
      el("td", { text: p.name }), el("td", { text: p.type }), el("td", { text: describeParameter(p) }),
      el("td", { text: (p.conditions || []).map(c => `${c.parent} ∈ {${c.values.join(", ")}}`).join(" and ") || "always" }))));
}

// ---------- trials table ----------

function columns(space) {
  return [
    { key: "id", label: "trial", value: t => t.id },
    { key: "status", label: "status", value: t => statusLabel(t), cls: "status" },
    { key: "score", label: "score", value: t => t.score, show: fmtScore },
    { key: "best_epoch", label: "best epoch", value: t => t.best_epoch },
    { key: "epochs", label: "epochs", value: t => t.epochs, show: v => fmtNum(v, 3) },
    { key: "seconds", label: "seconds", value: t => t.seconds, show: v => fmtNum(v, 0) },
    { key: "worker", label: "worker", value: t => t.worker, show: shortWorker },
    ...space.map(p => ({ key: "hp:" + p.name, label: p.name, value: t => t.hyperparameters[p.name], show: fmtValue })),
  ];
}

function compare(a, b) {
  const na = a === null || a === undefined, nb = b === null || b === undefined;
  if (na || nb) return na === nb ? 0 : na ? 1 : -1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}

function drawTable(trials, space, bestId) {
  const table = document.getElementById("trials-table");
  const cols = columns(space);
  if (!cols.some(c => c.key === state.sort.key)) state.sort = { key: "id", dir: 1 };
  const head = el("tr", {}, cols.map(c => el("th", {
    "data-sort": c.key, scope: "col", tabindex: 0,
    "aria-sort": c.key === state.sort.key ? (state.sort.dir > 0 ? "ascending" : "descending") : "none", text: c.label,
  })));
  table.tHead.replaceChildren(head);
  const status = document.getElementById("status-filter").value;
  const text = document.getElementById("text-filter").value.trim().toLowerCase();
  const sortCol = cols.find(c => c.key === state.sort.key);
  const rows = trials
    .map(t => ({ t, cells: cols.map(c => { const v = c.value(t); return { v, s: c.show ? c.show(v) : v === null || v === undefined ? "–" : String(v), cls: c.cls }; }) }))
    .filter(r => !status || r.t.status === status)
    .filter(r => !text || r.cells.some(c => c.s.toLowerCase().includes(text)))
    .sort((a, b) => {
      const va = sortCol.value(a.t), vb = sortCol.value(b.t);
      const nulls = (va === null || va === undefined) - (vb === null || vb === undefined);
      return nulls !== 0 ? nulls : compare(va, vb) * state.sort.dir || a.t.id - b.t.id;
    });
  table.tBodies[0].replaceChildren(...rows.map(r => el("tr", { "data-trial": r.t.id, "data-status": r.t.status, "data-best": r.t.id === bestId ? "true" : null },
    r.cells.map(c => el("td", { class: c.cls, text: c.s })))));
  document.getElementById("trials-shown").textContent = `${rows.length} of ${trials.length} trials`;
}

function onSort(event) {
  const th = event.target.closest("th[data-sort]");
  if (!th) return;
  const key = th.dataset.sort;
  state.sort = { key, dir: state.sort.key === key ? -state.sort.dir : 1 };
  redrawTable();
}

function redrawTable() {
  if (state.detail) drawTable(state.trials, state.detail.space, state.detail.best ? state.detail.best.id : null);
}

// ---------- the studies list, and polling ----------

function drawStudies(list) {
  document.getElementById("source").textContent = list.source;
  const ul = document.getElementById("studies");
  ul.replaceChildren(...list.studies.map(s => el("li", { "data-study": s.name, "data-selected": s.name === state.selected ? "true" : "false", tabindex: 0 },
    el("div", { class: "name", text: s.name }),
    el("div", { class: "muted", text: `${s.trials} trials · ${s.counts.completed} completed, ${s.counts.pruned} pruned${s.counts.running ? `, ${s.counts.running} running` : ""}` }),
    el("div", { class: "muted", text: `best ${s.objective} ${fmtScore(s.best_score)}` }))));
  if (list.studies.length === 0) ul.append(el("li", { class: "muted", text: "No studies yet: a search with this storage makes one." }));
}

function chosenFromHash() {
  const m = /(?:^#|&)study=([^&]*)/.exec(location.hash);
  return m ? decodeURIComponent(m[1]) : null;
}

async function getJson(url) {
  const response = await fetch(url, { cache: "no-store" });
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new Error(body && body.detail ? body.detail : `${url}: HTTP ${response.status}`);
  return body;
}

async function poll() {
  clearTimeout(state.timer);
  try {
    const list = await getJson("/api/studies");
    const names = list.studies.map(s => s.name);
    const wanted = chosenFromHash();
    state.selected = wanted && names.includes(wanted) ? wanted : names.includes(state.selected) ? state.selected : names[0] ?? null;
    drawStudies(list);
    if (state.selected) {
      const base = `/api/studies/${encodeURIComponent(state.selected)}`;
      const [detail, trials] = await Promise.all([getJson(base), getJson(base + "/trials")]);
      state.detail = detail;
      state.trials = trials.trials;
      drawState(detail);
      drawHistory(state.trials, detail.objective, detail.direction);
      drawCurves(state.trials, detail.objective);
      drawParallel(state.trials, detail.space, detail.objective, detail.direction);
      drawSlices(state.trials, detail.space, detail.objective);
      redrawTable();
      drawSpace(detail.space);
      const key = `${state.selected}:${detail.counts.completed}`;
      if (state.importanceKey !== key) {
        state.importanceKey = key;
        const importance = await getJson(base + "/importance").catch(() => null);
        drawImportance(importance ? importance.importances : []);
      }
    }
    state.polls++;
    const updated = document.getElementById("updated");
    updated.dataset.polls = state.polls;
    updated.textContent = `updated ${new Date().toLocaleTimeString()} (every ${POLL_MS / 1000} s)`;
    document.getElementById("error").hidden = true;
  } catch (e) {
    const error = document.getElementById("error");
    error.textContent = `Could not read the studies: ${e.message}. Retrying.`;
    error.hidden = false;
  } finally {
    state.timer = setTimeout(poll, POLL_MS);
  }
}

document.getElementById("studies").addEventListener("click", event => {
  const li = event.target.closest("li[data-study]");
  if (li) { location.hash = "study=" + encodeURIComponent(li.dataset.study); }
});
document.getElementById("studies").addEventListener("keydown", event => {
  const li = event.target.closest("li[data-study]");
  if (li && (event.key === "Enter" || event.key === " ")) { event.preventDefault(); location.hash = "study=" + encodeURIComponent(li.dataset.study); }
});
window.addEventListener("hashchange", poll);
document.getElementById("trials-table").addEventListener("click", onSort);
document.getElementById("trials-table").addEventListener("keydown", e => { if (e.key === "Enter") onSort(e); });
document.getElementById("status-filter").addEventListener("change", redrawTable);
document.getElementById("text-filter").addEventListener("input", redrawTable);
poll();
