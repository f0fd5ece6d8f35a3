// Sites and their gateways, and a map drawn from the sites' own coordinates (no tile server): each grid cell
// is the box around its sites, each site a dot coloured by its open enforcement leads.
I18n.add({
  map: "点位分布图", quiet: "无待办线索", some: "1–2 条待办", many: "3 条及以上", cell: "网格", search: "按编号、名称或网格查找",
  count: "{0} 个点位", unplaced: "无坐标的点位：{0}", openLeads: "待办线索", leads30d: "近 30 天线索", commissioned: "已调试", kind: "类型",
  noDevices: "无设备", lastSeen: "最后上报 {0}",
  meter: "计量器具 {0}", calibratedUntil: "检定有效期至 {0}", uncalibrated: "无有效检定", expiring: "检定将于 {0} 到期",
  address: "地址", party: "责任主体", contact: "现场联系人", phone: "联系电话", cookingHeads: "灶头数", project: "工程项目", name: "名称",
  lat: "纬度", lon: "经度", reason: "变更原因", edit: "编辑台账", history: "变更记录", save: "保存", cancel: "取消", saved: "已保存（第 {0} 版）",
  noParty: "（未登记）", noHistory: "无变更记录", "change.edited": "修改", "change.moved": "迁移", by: "{0} · {1}",
  parties: "责任主体台账", addParty: "登记责任主体", code: "统一社会信用代码", sitesOf: "点位：{0}",
}, {
  address: "Address", party: "Liable party", contact: "On-site contact", phone: "Phone", cookingHeads: "Cooking heads", project: "Construction project", name: "Name",
  lat: "Latitude", lon: "Longitude", reason: "Reason for the change", edit: "Edit register", history: "History", save: "Save", cancel: "Cancel", saved: "Saved (version {0})",
  noParty: "(not registered)", noHistory: "no changes", "change.edited": "edited", "change.moved": "moved", by: "{0} · {1}",
  parties: "Liable parties", addParty: "Register a liable party", code: "Unified social credit code", sitesOf: "sites: {0}",
  meter: "meter {0}", calibratedUntil: "calibrated until {0}", uncalibrated: "no valid calibration", expiring: "calibration ends {0}",
  map: "Map of sites", quiet: "no open lead", some: "1–2 open leads", many: "3 or more", cell: "grid cell", search: "find by id, name or grid",
  count: "{0} sites", unplaced: "Sites without coordinates: {0}", openLeads: "Open leads", leads30d: "Leads, last 30 days", commissioned: "Commissioned",
  kind: "Kind", noDevices: "no devices", lastSeen: "last seen {0}",
});

const $ = id => document.getElementById(id);
let sites = [], squads = [], meters = [], register = new Map(), parties = [];
// Inspectors and engineers keep the registers (Api/Roles.Registering); admins may too.
const keeps = () => ["inspector", "engineer", "admin"].includes(App.me?.role);

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
    const r = register.get(s.id) ?? {};
    const party = parties.find(p => p.code === r.party);
    fact(dl, "address", r.address ?? "–");
    fact(dl, "party", party ? `${party.name} · ${party.code}` : r.party ?? I18n.t("noParty"));
    if (r.contact || r.phone) fact(dl, "contact", [r.contact, r.phone].filter(Boolean).join(" · "));
    if (r.cookingHeads != null) fact(dl, "cookingHeads", String(r.cookingHeads));
    if (r.project) fact(dl, "project", r.project);
    const editor = App.el("div", { class: "editor" });
    const actions = keeps() ? App.el("div", { class: "steps" },
      App.el("button", { type: "button", class: "edit", t: "edit", onclick: () => openEditor(editor, s.id) }, I18n.t("edit")),
      App.el("button", { type: "button", class: "history", t: "history", onclick: () => showHistory(editor, s.id) }, I18n.t("history"))) : null;
    return App.el("section", { class: "card", id: `site-${s.id}`, "data-site": s.id },
      App.el("h2", {}, App.el("span", { class: "dot", style: `background:var(--${{ quiet: "pass", some: "pending", many: "fail" }[level(s)]})` }), `${s.name} · ${s.id}`),
      dl,
      App.el("ul", { class: "devices" }, ...(s.devices.length ? s.devices.map(d => App.el("li", { "data-device": d.id },
        App.el("span", { class: `dot ${d.status}` }), `${d.id} · ${I18n.t(`device.${d.status}`)}`, d.firmware ? ` · ${d.firmware}` : "",
        d.lastSeen ? App.el("span", { class: "muted" }, ` · ${I18n.t("lastSeen", App.time(d.lastSeen))}`) : null, ...meterNotes(d.id)))
        : [App.el("li", { class: "muted" }, I18n.t("noDevices"))])), actions, editor);
  }));
}

// The register entry of a site as a form: only what changed is sent, with the version it was read at (an edit made
// meanwhile is refused, not overwritten) and the reason its history keeps.
function openEditor(box, id) {
  const r = register.get(id);
  const field = (key, value, props = {}) => App.el("label", {}, App.el("span", { t: key }, I18n.t(key)),
    App.el("input", { name: key, value: value ?? "", ...props }));
  const partyList = App.el("select", { name: "party" }, App.el("option", { value: "" }, I18n.t("noParty")),
    ...parties.map(p => App.el("option", { value: p.code, selected: p.code === r.party }, `${p.name} · ${p.code}`)));
  const fume = (r.allKinds ?? [r.kind]).includes("fume");
  const error = App.el("p", { class: "error", role: "alert" });
  const form = App.el("form", { class: "register" },
    field("name", r.name), field("address", r.address),
    App.el("label", {}, App.el("span", { t: "party" }, I18n.t("party")), partyList),
    field("contact", r.contact), field("phone", r.phone, { type: "tel" }),
    fume ? field("cookingHeads", r.cookingHeads, { type: "number", min: 1, max: 500 }) : null,
    fume ? null : field("project", r.project),
    field("grid", r.grid), field("lat", r.lat, { type: "number", step: "any" }), field("lon", r.lon, { type: "number", step: "any" }),
    field("reason", "", { required: true }), error,
    App.el("div", { class: "steps" },
      App.el("button", { type: "submit", class: "primary", t: "save" }, I18n.t("save")),
      App.el("button", { type: "button", t: "cancel", onclick: () => box.replaceChildren() }, I18n.t("cancel"))));
  form.onsubmit = async event => {
    event.preventDefault();
    const input = key => form.elements.namedItem(key);
    const body = { version: r.version, reason: input("reason").value };
    for (const key of ["name", "address", "party", "contact", "phone", "project", "grid"])
      if (input(key) && input(key).value !== (r[key] ?? "")) body[key] = input(key).value;
    for (const key of ["cookingHeads", "lat", "lon"])
      if (input(key) && input(key).value !== "" && Number(input(key).value) !== r[key]) body[key] = Number(input(key).value);
    try {
      const saved = await api(`/api/sites/${encodeURIComponent(id)}`, { method: "PATCH", body });
      register.set(id, saved);
      sites = await apiAll("/api/reports/sites");
      drawMap(); drawCards();
      document.querySelector(`#site-${CSS.escape(id)} .editor`)?.replaceChildren(App.el("p", { class: "saved" }, I18n.t("saved", saved.version)));
    } catch (e) { error.textContent = e.message; }
  };
  box.replaceChildren(form);
}

async function showHistory(box, id) {
  const changes = await api(`/api/sites/${encodeURIComponent(id)}/history`);
  const value = v => v == null ? "–" : typeof v === "object" ? JSON.stringify(v) : String(v);
  box.replaceChildren(App.el("ol", { class: "history" }, ...(changes.length ? changes.map(c => App.el("li", { "data-change": c.change },
    App.el("strong", {}, I18n.t(`change.${c.change}`)), " ", App.el("span", { class: "muted" }, I18n.t("by", App.time(c.changedAt), c.changedBy)),
    c.reason ? App.el("div", {}, c.reason) : null,
    App.el("ul", {}, ...c.fields.map(f => App.el("li", { "data-field": f.field },
      `${I18n.t(f.field) === f.field ? f.field : I18n.t(f.field)}: ${value(f.before)} → ${value(f.after)}`)))))
    : [App.el("li", { class: "muted" }, I18n.t("noHistory"))])));
}

// The register of liable parties, and a form to add one (the fleet checks the code's check character).
function drawParties() {
  if (!keeps()) { $("parties").classList.add("hidden"); return; }
  const error = App.el("p", { class: "error", role: "alert" });
  const input = (key, props = {}) => App.el("label", {}, App.el("span", { t: key }, I18n.t(key)), App.el("input", { name: key, ...props }));
  const form = App.el("form", { id: "addParty" }, input("code", { required: true, maxlength: 18 }), input("name", { required: true }),
    input("contact"), input("phone", { type: "tel" }), input("address"), error,
    App.el("button", { type: "submit", class: "primary", t: "addParty" }, I18n.t("addParty")));
  form.onsubmit = async event => {
    event.preventDefault();
    const body = Object.fromEntries(["code", "name", "contact", "phone", "address"].map(k => [k, form.elements.namedItem(k).value]));
    try { await api("/api/parties", { method: "POST", body }); parties = await apiAll("/api/parties"); drawParties(); drawCards(); }
    catch (e) { error.textContent = e.message; }
  };
  $("parties").replaceChildren(App.el("h2", { t: "parties" }, I18n.t("parties")),
    App.el("ul", { class: "party-list" }, ...parties.map(p => App.el("li", { "data-party": p.code }, `${p.name} · ${p.code}`,
      App.el("span", { class: "muted" }, ` · ${I18n.t("sitesOf", p.sites.join(", ") || "–")}`)))),
    App.el("details", {}, App.el("summary", { t: "addParty" }, I18n.t("addParty")), form));
}

App.start("sites", async () => {
  let all;
  [sites, squads, meters, all, parties] = await Promise.all([apiAll("/api/reports/sites"), apiAll("/api/squads"), apiAll("/api/meters"), apiAll("/api/sites"),
    keeps() ? apiAll("/api/parties") : []]);
  register = new Map(all.map(s => [s.id, s]));
  const draw = () => { drawMap(); drawCards(); drawParties(); };
  $("search").addEventListener("input", drawCards);
  document.addEventListener("langchange", draw);
  draw();
  if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();
  // A new lead or a case change moves a site's colour: fetch the overview again.
  const refresh = async () => { sites = await apiAll("/api/reports/sites"); draw(); };
  App.live({ lead: () => refresh().catch(App.fail), case: () => refresh().catch(App.fail), missed: () => refresh().catch(App.fail) });
});
