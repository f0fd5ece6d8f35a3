// Sites and their gateways, and a map drawn from the sites' own coordinates (no tile server): each grid cell
// is the box around its sites, each site a dot coloured by its open enforcement leads.
I18n.add({
  map: "点位分布图", quiet: "无待办线索", some: "1–2 条待办", many: "3 条及以上", cell: "网格", search: "按编号、名称或网格查找",
  count: "{0} 个点位", unplaced: "无坐标的点位：{0}", openLeads: "待办线索", leads30d: "近 30 天线索", commissioned: "已调试", kind: "类型",
  noDevices: "无设备", lastSeen: "最后上报 {0}",
  meter: "计量器具 {0}", calibratedUntil: "检定有效期至 {0}", uncalibrated: "无有效检定", expiring: "检定将于 {0} 到期",
}, {
  meter: "meter {0}", calibratedUntil: "calibrated until {0}", uncalibrated: "no valid calibration", expiring: "calibration ends {0}",
  map: "Map of sites", quiet: "no open lead", some: "1–2 open leads", many: "3 or more", cell: "grid cell", search: "find by id, name or grid",
  count: "{0} sites", unplaced: "Sites without coordinates: {0}", openLeads: "Open leads", leads30d: "Leads, last 30 days", commissioned: "Commissioned",
  kind: "Kind", noDevices: "no devices", lastSeen: "last seen {0}",
});

const $ = id => document.getElementById(id);
let sites = [], squads = [], meters = [];

// A device's meters in service (Meters/), each with its last certificate's last day: flagged when none is valid today
// (its leads are not evidence-grade) or when it ends within 30 days.
function meterNotes(device) {
  const today = new Date().toISOString().slice(0, 10);
  const soon = new Date(Date.now() + 30 * 86400000).toISOString().slice(0, 10);
  return meters.filter(m => m.device === device).map(m => {
    const until = m.calibrations.filter(c => c.calibratedOn <= today).map(c => c.validUntil).sort().at(-1);
    const state = !until || until < today ? "fail" : until <= soon ? "pending" : "pass";
    return App.el("span", { class: "muted", "data-meter": m.id }, ` · ${I18n.t("meter", `${m.make} ${m.model}`)} `,
      App.el("span", { class: `badge ${state}` }, state === "fail" ? I18n.t("uncalibrated") : I18n.t(state === "pending" ? "expiring" : "calibratedUntil", until)));
  });
}
const level = s => (s.openLeads >= 3 ? "many" : s.openLeads > 0 ? "some" : "quiet");

function drawMap() {
  const placed = sites.filter(s => s.lat != null && s.lon != null);
  const unplaced = sites.filter(s => s.lat == null || s.lon == null);
  $("unplaced").textContent = unplaced.length ? I18n.t("unplaced", unplaced.map(s => s.id).join(", ")) : "";
  const w = 400, pad = 28, padRight = 64; // room on the right for the site labels
  if (!placed.length) { $("map").replaceChildren(); return; }
  // Equirectangular around the middle latitude: good enough across a district.
  const lat0 = placed.reduce((a, s) => a + s.lat, 0) / placed.length;
  const k = Math.cos(lat0 * Math.PI / 180);
  const xs = placed.map(s => s.lon * k), ys = placed.map(s => -s.lat);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const spanX = Math.max(x1 - x0, 0.002), spanY = Math.max(y1 - y0, 0.002);
  const scale = Math.min((w - pad - padRight) / spanX, 360 / spanY);
  const h = Math.max(180, spanY * scale + 2 * pad);
  const px = s => pad + (s.lon * k - x0) * scale + ((w - pad - padRight) - (x1 - x0) * scale) / 2;
  const py = s => pad + (-s.lat - y0) * scale + ((h - 2 * pad) - (y1 - y0) * scale) / 2;
  const map = Charts.svg("svg", { viewBox: `0 0 ${w} ${h}`, class: "map", role: "img", "aria-label": I18n.t("map") });
  const byGrid = Map.groupBy(placed.filter(s => s.grid), s => s.grid);
  for (const [grid, members] of [...byGrid].sort()) {
    const gx = members.map(px), gy = members.map(py);
    const [l, r, t, b] = [Math.min(...gx) - 16, Math.max(...gx) + 52, Math.min(...gy) - 18, Math.max(...gy) + 14];
    const owner = squads.find(q => q.grids.includes(grid));
    map.append(Charts.svg("rect", { x: l, y: t, width: r - l, height: b - t, rx: 6, class: "cell", "data-grid": grid }));
    map.append(Charts.svg("text", { x: l + 4, y: t + 11, class: "cell-label" }, owner ? `${grid} · ${owner.name}` : grid));
  }
  for (const s of placed) {
    const dot = Charts.svg("circle", { cx: px(s), cy: py(s), r: 6, class: `site ${level(s)}`, "data-site": s.id });
    dot.append(Charts.svg("title", {}, `${s.id} · ${s.name} · ${I18n.t("openLeads")}: ${s.openLeads}`));
    dot.addEventListener("click", () => document.getElementById(`site-${s.id}`)?.scrollIntoView({ behavior: "smooth" }));
    map.append(dot, Charts.svg("text", { x: px(s) + 8, y: py(s) + 3, class: "site-label" }, s.id));
  }
  $("map").replaceChildren(map);
}

function drawCards() {
  const q = $("search").value.trim().toLowerCase();
  const shown = sites.filter(s => !q || [s.id, s.name, s.grid ?? ""].some(v => v.toLowerCase().includes(q)));
  $("count").textContent = I18n.t("count", shown.length);
  const fact = (dl, key, ...value) => dl.append(App.el("dt", { t: key }, I18n.t(key)), App.el("dd", {}, ...value));
  $("sites").replaceChildren(...shown.map(s => {
    const dl = App.el("dl", { class: "facts" });
    fact(dl, "kind", I18n.t(`kind.${s.kind}`));
    const owner = squads.find(q => q.id === s.squad);
    fact(dl, "grid", s.grid ?? "–", owner ? ` · ${owner.name}` : "");
    fact(dl, "commissioned", I18n.t(s.commissioned ? "yes" : "no"));
    fact(dl, "openLeads", App.el("a", { href: `/leads/?site=${encodeURIComponent(s.id)}`, class: "open-leads" }, String(s.openLeads)));
    fact(dl, "leads30d", String(s.leads30d));
    return App.el("section", { class: "card", id: `site-${s.id}`, "data-site": s.id },
      App.el("h2", {}, App.el("span", { class: "dot", style: `background:var(--${{ quiet: "pass", some: "pending", many: "fail" }[level(s)]})` }), `${s.name} · ${s.id}`),
      dl,
      App.el("ul", { class: "devices" }, ...(s.devices.length ? s.devices.map(d => App.el("li", { "data-device": d.id },
        App.el("span", { class: `dot ${d.status}` }), `${d.id} · ${I18n.t(`device.${d.status}`)}`, d.firmware ? ` · ${d.firmware}` : "",
        d.lastSeen ? App.el("span", { class: "muted" }, ` · ${I18n.t("lastSeen", App.time(d.lastSeen))}`) : null, ...meterNotes(d.id)))
        : [App.el("li", { class: "muted" }, I18n.t("noDevices"))])));
  }));
}

App.start("sites", async () => {
  [sites, squads, meters] = await Promise.all([apiAll("/api/reports/sites"), apiAll("/api/squads"), apiAll("/api/meters")]);
  const draw = () => { drawMap(); drawCards(); };
  $("search").addEventListener("input", drawCards);
  document.addEventListener("langchange", draw);
  draw();
  if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();
  // A new lead or a case change moves a site's colour: fetch the overview again.
  const refresh = async () => { sites = await apiAll("/api/reports/sites"); draw(); };
  App.live({ lead: () => refresh().catch(App.fail), case: () => refresh().catch(App.fail) });
});
