// The monthly report (GET /api/reports/monthly): the most frequent rules, grids, sites and hours, and the squads
// ranked on responding within 30 minutes, handling (closing) and rectification.
I18n.add({
  month: "月份", print: "打印", total: "本月执法线索 {0} 条，其中 {1} 条尚未派遣。", byRule: "高发问题（规则）", byHour: "高发时段（北京时间；22:00–06:00 夜间为深色）",
  byGrid: "高发网格", bySite: "高发点位（前 10）", squads: "中队处置与整改", rank: "名次", dispatched: "派遣", inTime: "30 分钟内到场",
  closed: "已结案", confirmed: "属实", dismissed: "不予立案·销号", rectified: "已整改 / 责令限期改正", noGrid: "（无网格）", nothing: "本月没有线索。",
  rates: "到场率：线索发现后 30 分钟内到场的比例。处置率：已结案的比例。整改率：责令限期改正后复查已整改的比例。",
  integrity: "审计日志哈希链截至月末：{0} 条，链头 {1}。证据签名公钥指纹：{2}。",
}, {
  month: "Month", print: "Print", total: "{0} enforcement leads this month; {1} not dispatched yet.", byRule: "Most frequent rules",
  byHour: "Hours of day (China time; night 22:00–06:00 darker)", byGrid: "Grids", bySite: "Sites (top 10)", squads: "Squads: handling and rectification",
  rank: "Rank", dispatched: "Dispatched", inTime: "On site ≤ 30 min", closed: "Closed", confirmed: "Confirmed", dismissed: "Dismissed",
  rectified: "Rectified / ordered to correct", noGrid: "(no grid)", nothing: "No leads this month.",
  rates: "Response: on site within 30 minutes of the lead. Handling: cases closed. Rectification: rectified at re-check of those given a deadline.",
  integrity: "Audit log hash chain at the month's end: {0} entries, head {1}. Evidence signing key fingerprint: {2}.",
});

const $ = id => document.getElementById(id);
const pct = r => (r === null || r === undefined ? "–" : `${(r * 100).toFixed(r === 1 || r === 0 ? 0 : 1)}%`);
let report = null;

function draw() {
  const r = report;
  $("total").textContent = I18n.t("total", r.leads, r.notDispatched);
  $("integrity").textContent = I18n.t("integrity", r.auditChain?.entries ?? 0, r.auditChain?.hash ?? "–", r.evidenceKey ?? "–");
  const empty = () => App.el("p", { class: "muted" }, I18n.t("nothing"));
  $("rules").replaceChildren(r.rules.length ? Charts.bars(r.rules.map(x => ({ label: App.rule(x.key), value: x.count })), { label: I18n.t("byRule") }) : empty());
  $("hours").replaceChildren(Charts.hours(r.hours, { label: I18n.t("byHour") }));
  $("grids").replaceChildren(r.grids.length ? Charts.bars(r.grids.map(x => ({ label: x.key ?? I18n.t("noGrid"), value: x.count })), { label: I18n.t("byGrid"), color: "#00838f" }) : empty());
  $("sites").replaceChildren(r.sites.length ? Charts.bars(r.sites.slice(0, 10).map(x => ({ label: `${x.key} ${x.name ?? ""}`.trim(), value: x.count })), { label: I18n.t("bySite"), color: "#7b3fb5" }) : empty());
  // Ranked on handling, then response in time, then rectification.
  const ranked = [...r.squads].sort((a, b) => (b.handlingRate ?? -1) - (a.handlingRate ?? -1) || (b.responseRate ?? -1) - (a.responseRate ?? -1)
    || (b.rectificationRate ?? -1) - (a.rectificationRate ?? -1));
  const th = (key, n) => App.el("th", { t: key, class: n ? "n" : null }, I18n.t(key));
  $("squads").replaceChildren(
    App.el("tr", {}, th("rank"), th("squad"), th("dispatched", 1), th("inTime", 1), th("closed", 1), th("confirmed", 1), th("dismissed", 1), th("rectified", 1)),
    ...ranked.map((s, i) => App.el("tr", { "data-squad": s.squad },
      App.el("td", {}, String(i + 1)), App.el("td", {}, `${s.name ?? s.squad}`),
      App.el("td", { class: "n" }, String(s.dispatched)),
      App.el("td", { class: "n" }, `${s.respondedInTime} · ${pct(s.responseRate)}`),
      App.el("td", { class: "n" }, `${s.closed} · ${pct(s.handlingRate)}`),
      App.el("td", { class: "n" }, String(s.confirmed)), App.el("td", { class: "n" }, String(s.dismissed)),
      App.el("td", { class: "n" }, `${s.rectified} / ${s.rectifyOrdered} · ${pct(s.rectificationRate)}`))));
}

async function load() {
  report = await api(`/api/reports/monthly?month=${encodeURIComponent($("month").value)}`);
  history.replaceState(null, "", `?month=${report.month}`);
  draw();
}

App.start("report", async () => {
  const asked = new URLSearchParams(location.search).get("month");
  $("month").value = /^\d{4}-\d{2}$/.test(asked ?? "") ? asked : new Date().toLocaleDateString("en-CA", { timeZone: App.zone }).slice(0, 7);
  $("month").addEventListener("change", () => load().catch(App.fail));
  $("print").addEventListener("click", () => window.print());
  document.addEventListener("langchange", () => report && draw());
  await load();
});
