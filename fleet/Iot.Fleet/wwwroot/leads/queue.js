// The lead queue: enforcement leads with their case state, filtered by rule, grid, squad, site, status and time.
// The filters live in the address (a link or a reload keeps them); new leads and case changes arrive over SSE.
I18n.add({
  filters: "筛选", activeFilters: "（已选 {0} 项）", rule: "规则", status: "状态", time: "时间", all: "全部", anyTime: "不限", today: "今天", day: "最近 24 小时",
  week: "最近 7 天", month: "最近 30 天", empty: "没有符合条件的线索。", count: "{0} 条线索", late: "补传", newLead: "新",
}, {
  filters: "Filters", activeFilters: "({0} set)", rule: "Rule", status: "Status", time: "Time", all: "all", anyTime: "any time", today: "today", day: "last 24 h",
  week: "last 7 days", month: "last 30 days", empty: "No leads match these filters.", count: "{0} leads", late: "backfilled", newLead: "new",
});

const FILTERS = ["rule", "grid", "squad", "site", "status", "time"];
const $ = id => document.getElementById(id);
const state = { leads: new Map(), cases: new Map(), sites: new Map(), fresh: new Set() };

const filters = () => Object.fromEntries(FILTERS.map(f => [f, $(f).value]));

// The start of the chosen time span; "today" is today in the bureau's zone.
function since(time) {
  const now = Date.now();
  if (time === "today") {
    const day = new Date(now).toLocaleDateString("en-CA", { timeZone: App.zone });
    return new Date(`${day}T00:00:00+08:00`);
  }
  const hours = { "24h": 24, "7d": 168, "30d": 720 }[time];
  return hours ? new Date(now - hours * 3600000) : null;
}

const statusOf = lead => lead.status === "new" ? (state.cases.get(lead.id)?.status ?? "open") : lead.status;

function matches(lead, f = filters()) {
  const site = state.sites.get(lead.site);
  const c = state.cases.get(lead.id);
  const from = since(f.time);
  return (!f.rule || lead.rule === f.rule) && (!f.site || lead.site === f.site) && (!f.grid || site?.grid === f.grid)
    && (!f.squad || c?.squad === f.squad) && (!f.status || statusOf(lead) === f.status) && (!from || new Date(lead.end) >= from);
}

function card(lead) {
  const site = state.sites.get(lead.site);
  const c = state.cases.get(lead.id);
  const status = statusOf(lead);
  const closed = status === "confirmed" || status === "dismissed";
  const timer = App.timer(c);
  return App.el("li", { "data-id": lead.id, "data-status": status, class: state.fresh.has(lead.id) ? "fresh" : null },
    App.el("a", { class: "lead", href: `/leads/lead.html?id=${lead.id}` },
      App.el("span", { class: "title" }, `#${lead.id} ${App.rule(lead.rule)}`, state.fresh.has(lead.id) ? App.el("span", { class: "pill notice" }, " ", I18n.t("newLead")) : null),
      App.el("span", { class: "value" }, `${App.num(lead.value)} / ${App.num(lead.limit)} ${lead.unit}`),
      App.el("span", { class: "meta" }, `${site?.name ?? lead.site} · ${lead.site}${site?.grid ? ` · ${I18n.t("grid")} ${site.grid}` : ""}${c?.squad ? ` · ${c.squad}` : ""}`),
      App.el("span", { class: "meta value" }, App.time(lead.start), lead.late ? ` · ${I18n.t("late")}` : "", App.permit(lead) ? " " : null, App.permit(lead)),
      App.el("span", {}, App.el("span", { class: `pill ${status === "open" ? "open" : closed ? (status === "dismissed" ? "dismissed" : "closed") : ""}` }, App.status(status)),
        c?.notice ? App.el("span", { class: "pill notice" }, " ", I18n.t("step.notice")) : null),
      App.el("span", { class: `timer ${timer.cls}`, "data-timer": lead.id }, timer.text)));
}

function render() {
  const f = filters();
  const shown = [...state.leads.values()].filter(l => matches(l, f)).sort((a, b) => b.id - a.id);
  $("leads").replaceChildren(...shown.map(card));
  $("count").textContent = I18n.t("count", shown.length);
  $("empty").classList.toggle("hidden", shown.length > 0);
}

function tick() {
  document.querySelectorAll("[data-timer]").forEach(span => {
    const timer = App.timer(state.cases.get(+span.dataset.timer));
    span.textContent = timer.text;
    span.className = `timer ${timer.cls}`;
  });
}

// Rule and site filters and the time span go to the server; grid, squad and case status are judged here.
async function load() {
  const f = filters();
  const query = new URLSearchParams();
  if (f.rule) query.set("rule", f.rule);
  if (f.site) query.set("site", f.site);
  const from = since(f.time);
  if (from) query.set("since", from.toISOString());
  const [leads, cases] = await Promise.all([apiAll(`/api/leads?${query}`), apiAll("/api/cases")]);
  state.leads = new Map(leads.map(l => [l.id, l]));
  state.cases = new Map(cases.map(c => [c.lead, c]));
  render();
}

function options(select, items) {
  select.append(...items.map(([value, text, key]) => App.el("option", { value, t: key }, text)));
}

function syncAddress() {
  const query = new URLSearchParams(Object.entries(filters()).filter(([, v]) => v));
  history.replaceState(null, "", query.size ? `?${query}` : location.pathname);
  const active = [...query.keys()].length;
  $("activeFilters").textContent = active ? I18n.t("activeFilters", active) : "";
}

App.start("leads", async () => {
  // The rules and statuses to filter by are the fleet's (GET /api/meta), with its words for them.
  const [sites, squads, meta] = await Promise.all([apiAll("/api/sites"), apiAll("/api/squads"), App.meta()]);
  state.sites = new Map(sites.map(s => [s.id, s]));
  options($("rule"), meta.rules.map(r => [r.id, App.rule(r.id), `rule.${r.id}`]));
  options($("grid"), [...new Set(sites.map(s => s.grid).filter(Boolean))].sort().map(g => [g, g]));
  options($("squad"), squads.map(s => [s.id, `${s.name} (${s.id})`]));
  options($("site"), sites.map(s => [s.id, `${s.id} · ${s.name}`]));
  options($("status"), meta.statuses.map(s => [s.id, App.status(s.id), `status.${s.id}`]));
  const params = new URLSearchParams(location.search);
  for (const f of FILTERS) if (params.get(f)) $(f).value = params.get(f);
  // The queue comes first on a phone: the filters stay folded there (their count shows), open on a wide screen.
  $("filterPanel").open = matchMedia("(min-width: 48rem)").matches;
  syncAddress();

  $("filters").addEventListener("change", async event => {
    syncAddress();
    if (["rule", "site", "time"].includes(event.target.id)) await load().catch(App.fail); else render();
  });
  document.addEventListener("langchange", render);
  await load();
  setInterval(tick, 1000);

  App.live({
    lead: async lead => {
      state.leads.set(lead.id, lead);
      if (lead.status === "new") {
        try { state.cases.set(lead.id, await api(`/api/leads/${lead.id}/case`)); } catch { /* shown as open */ }
      }
      state.fresh.add(lead.id);
      render();
    },
    case: c => {
      state.cases.set(c.lead, c);
      render();
    },
    missed: () => load().catch(App.fail),
  }, $("live"));
});
