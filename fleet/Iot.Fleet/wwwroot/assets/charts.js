// Charts as inline SVG, drawn from numbers the page already has: no library, no canvas, sharp on any phone.
const Charts = (() => {
  const NS = "http://www.w3.org/2000/svg";
  const svg = (tag, attrs = {}, text) => {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const root = (w, h, label) => svg("svg", { viewBox: `0 0 ${w} ${h}`, width: "100%", role: "img", "aria-label": label, class: "chart" });
  const tick = v => (Math.abs(v) >= 100 ? v.toFixed(0) : +v.toFixed(2)).toString();

  /// Readings over time. series: [{ label, color, points: [[ms, value]], dashed }]; limit: a value drawn as a red line;
  /// bands: [{ from, to, cls }] spans of time shaded behind the lines (the breaching windows).
  function timeline({ series, limit, limitLabel, bands = [], unit = "", label = "", timeText = t => String(t) }) {
    const w = 400, h = 210, left = 40, right = 8, top = 14, bottom = 26;
    const all = series.flatMap(s => s.points);
    const times = all.map(p => p[0]).concat(bands.flatMap(b => [b.from, b.to]));
    const values = all.map(p => p[1]).concat(limit !== undefined ? [limit] : []);
    const e = root(w, h, label);
    if (!all.length) { e.append(svg("text", { x: w / 2, y: h / 2, "text-anchor": "middle", class: "axis" }, "–")); return e; }
    const t0 = Math.min(...times), t1 = Math.max(...times, t0 + 60000);
    let v0 = Math.min(0, ...values), v1 = Math.max(...values);
    v1 = v1 + (v1 - v0) * 0.1 || 1;
    const x = t => left + (t - t0) / (t1 - t0) * (w - left - right);
    const y = v => top + (1 - (v - v0) / (v1 - v0)) * (h - top - bottom);
    for (const b of bands)
      e.append(svg("rect", { x: x(b.from), y: top, width: Math.max(1, x(b.to) - x(b.from)), height: h - top - bottom, class: `band ${b.cls || ""}` }));
    for (let i = 0; i <= 4; i++) {
      const v = v0 + (v1 - v0) * i / 4;
      e.append(svg("line", { x1: left, x2: w - right, y1: y(v), y2: y(v), class: "gridline" }));
      e.append(svg("text", { x: left - 4, y: y(v) + 4, "text-anchor": "end", class: "axis" }, tick(v)));
    }
    for (let i = 0; i <= 4; i++) {
      const t = t0 + (t1 - t0) * i / 4;
      e.append(svg("text", { x: x(t), y: h - 10, "text-anchor": i === 0 ? "start" : i === 4 ? "end" : "middle", class: "axis" }, timeText(t)));
    }
    e.append(svg("text", { x: 4, y: 10, class: "axis" }, unit));
    for (const s of series) {
      if (!s.points.length) continue;
      const d = s.points.map((p, i) => `${i ? "L" : "M"}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join("");
      e.append(svg("path", { d, class: "series", stroke: s.color, "stroke-dasharray": s.dashed ? "4 3" : null, "data-series": s.label }));
      for (const p of s.points)
        if (s.over?.(p[1])) e.append(svg("circle", { cx: x(p[0]), cy: y(p[1]), r: 2.6, class: "over" }));
    }
    if (limit !== undefined) {
      e.append(svg("line", { x1: left, x2: w - right, y1: y(limit), y2: y(limit), class: "limit", "data-limit": limit }));
      e.append(svg("text", { x: w - right - 2, y: y(limit) - 4, "text-anchor": "end", class: "limit-label" }, limitLabel ?? tick(limit)));
    }
    return e;
  }

  /// Horizontal bars, longest first as given: items [{ label, value, title }].
  function bars(items, { label = "", color = "var(--accent)" } = {}) {
    const row = 24, w = 400, labelW = 150, h = Math.max(row, items.length * row) + 4;
    const e = root(w, h, label);
    const max = Math.max(1, ...items.map(i => i.value));
    items.forEach((item, i) => {
      const y = i * row + 2;
      e.append(svg("text", { x: labelW - 6, y: y + 17, "text-anchor": "end", class: "bar-label" }, item.label));
      e.append(svg("rect", { x: labelW, y: y + 4, height: row - 8, width: Math.max(2, (w - labelW - 40) * item.value / max), fill: color, rx: 3 }));
      e.append(svg("text", { x: labelW + (w - labelW - 40) * item.value / max + 6, y: y + 17, class: "bar-value" }, String(item.value)));
    });
    return e;
  }

  /// 24 columns, one per hour of day.
  function hours(counts, { label = "" } = {}) {
    const w = 400, h = 160, left = 4, bottom = 20, top = 16;
    const e = root(w, h, label);
    const max = Math.max(1, ...counts);
    const colW = (w - left) / 24;
    counts.forEach((c, hour) => {
      const barH = (h - top - bottom) * c / max;
      const night = hour >= 22 || hour < 6;
      e.append(svg("rect", { x: left + hour * colW + 2, y: h - bottom - barH, width: colW - 4, height: Math.max(barH, c ? 2 : 0), class: night ? "col night" : "col", "data-hour": hour }));
      if (c) e.append(svg("text", { x: left + hour * colW + colW / 2, y: h - bottom - barH - 3, "text-anchor": "middle", class: "bar-value" }, String(c)));
      if (hour % 3 === 0) e.append(svg("text", { x: left + hour * colW + colW / 2, y: h - 6, "text-anchor": "middle", class: "axis" }, String(hour)));
    });
    return e;
  }

  return { svg, timeline, bars, hours };
})();
