// The monthly report (GET /api/reports/monthly): the most frequent rules, grids, sites and hours, and the squads
// ranked on responding within 30 minutes, handling (closing) and rectification.
I18n.add({
  month: "月份", print: "打印", total: "本月执法线索 {0} 条，其中 {1} 条尚未派遣。", byRule: "高发问题（规则）", byHour: "高发时段（北京时间；22:00–06:00 夜间为深色）",
  byGrid: "高发网格", bySite: "高发点位（前 10）", squads: "中队处置与整改", rank: "名次", dispatched: "派遣", inTime: "30 分钟内到场",
  closed: "已结案", confirmed: "属实", dismissed: "不予立案·销号", rectified: "已整改 / 责令限期改正", noGrid: "（无网格）", nothing: "本月没有线索。",
  rates: "到场率：线索发现后 30 分钟内到场的比例。处置率：已结案的比例。整改率：责令限期改正后复查已整改的比例。",
  integrity: "审计日志哈希链截至月末：{0} 条，链头 {1}。证据签名公钥指纹：{2}。",
  xlsx: "下载 Excel", csv: "下载 CSV", compare: "同比与环比", figure: "指标", thisMonth: "本月", previousMonth: "上月", mom: "环比",
  yearBefore: "去年同月", yoy: "同比", responseTimes: "到场用时分布（分钟）", dismissals: "无效线索原因", permitsAndMonitoring: "夜间施工证明与监测在线",
  "fig.leads": "执法线索", "fig.nightWithoutPermit": "夜间施工无证明线索", "fig.closed": "已结案", "fig.dismissed": "无效线索",
  "fig.wrongLeadRate": "无效线索率", "fig.responseRate": "按时到场率", "fig.noticesServed": "告知书送达", "fig.casesFiled": "处罚立案", "fig.finesYuan": "罚款（元）", "fig.permitsFiled": "夜间施工证明申报",
  "band.none": "未到场", permitsFiled: "申报", permitsApproved: "批准", permitsRefused: "不予批准", permitsRevoked: "撤销",
  fumeSites: "餐饮油烟点位（当前）", fumeOnline: "油烟净化设施在线点位（当前）", devicesOnline: "设备在线（当前）",
  registers: "台账下载", "register.sites": "点位台账", "register.parties": "责任主体台账", "register.devices": "设备台账",
  "register.permits": "夜间施工证明台账", "register.cases": "案件台账", "register.complaints": "投诉举报台账",
  "fig.complaints": "投诉举报", "fig.complaintsAnswered": "投诉举报已答复", "fig.complaintsOnTime": "投诉举报按时答复",
  "fig.complaintAnswerRate": "投诉举报答复率", "fig.complaintOnTimeRate": "投诉举报按时答复率",
  complaints: "投诉举报", byChannel: "渠道", byKind: "投诉类型", cReceived: "收到", cAnswered: "已答复", cOnTime: "按时答复",
  cAnswerRate: "答复率", cOnTimeRate: "按时答复率", cTotal: "合计", complaintRates: "答复率：已答复 / 收到；按时答复率：收到后 {0} 个自然日内答复 / 收到。",
}, {
  xlsx: "Download Excel", csv: "Download CSV", compare: "Month on month and year on year", figure: "Figure", thisMonth: "This month",
  previousMonth: "Month before", mom: "Change", yearBefore: "A year before", yoy: "Change", responseTimes: "Minutes from lead to on site",
  dismissals: "Wrong leads by reason", permitsAndMonitoring: "Night-work permits and monitoring",
  "fig.leads": "Enforcement leads", "fig.nightWithoutPermit": "Night work without permit", "fig.closed": "Closed", "fig.dismissed": "Wrong leads",
  "fig.wrongLeadRate": "Wrong-lead rate", "fig.responseRate": "On site within 30 min", "fig.noticesServed": "Notices served", "fig.casesFiled": "Penalty cases filed", "fig.finesYuan": "Fines (yuan)", "fig.permitsFiled": "Permits filed",
  "band.none": "not on site", permitsFiled: "filed", permitsApproved: "approved", permitsRefused: "refused", permitsRevoked: "revoked",
  fumeSites: "Restaurant sites (now)", fumeOnline: "Restaurants with a gateway online (now)", devicesOnline: "Devices online (now)",
  registers: "Registers", "register.sites": "Sites", "register.parties": "Liable parties", "register.devices": "Devices",
  "register.permits": "Night-work permits", "register.cases": "Cases", "register.complaints": "Complaints",
  "fig.complaints": "Complaints", "fig.complaintsAnswered": "Complaints answered", "fig.complaintsOnTime": "Complaints answered on time",
  "fig.complaintAnswerRate": "Complaint answer rate", "fig.complaintOnTimeRate": "Complaints answered on time (rate)",
  complaints: "Complaints", byChannel: "Channel", byKind: "About", cReceived: "Received", cAnswered: "Answered", cOnTime: "On time",
  cAnswerRate: "Answer rate", cOnTimeRate: "On-time rate", cTotal: "Total",
  complaintRates: "Answer rate: answered / received; on-time rate: answered within {0} calendar days of receipt / received.",
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
  drawFigures(r);
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

// The headline figures against the month before and a year before; rates as percentages, changes in percent.
function drawFigures(r) {
  const keys = ["leads", "nightWithoutPermit", "closed", "dismissed", "wrongLeadRate", "responseRate", "casesFiled", "finesYuan", "noticesServed", "permitsFiled",
    "complaints", "complaintsAnswered", "complaintsOnTime", "complaintAnswerRate", "complaintOnTimeRate"];
  const value = (f, k) => (f ? (k.endsWith("Rate") ? pct(f[k]) : String(f[k])) : "–");
  const change = (now, then, k) => {
    if (!now || !then || k.endsWith("Rate") || !then[k]) return "–";
    const c = (now[k] - then[k]) / then[k] * 100;
    return `${c > 0 ? "+" : ""}${c.toFixed(1)}%`;
  };
  const th = (key, n) => App.el("th", { t: key, class: n ? "n" : null }, I18n.t(key));
  $("figures").replaceChildren(
    App.el("tr", {}, th("figure"), th("thisMonth", 1), th("previousMonth", 1), th("mom", 1), th("yearBefore", 1), th("yoy", 1)),
    ...keys.map(k => App.el("tr", { "data-figure": k }, App.el("td", { t: `fig.${k}` }, I18n.t(`fig.${k}`)),
      App.el("td", { class: "n" }, value(r.figures, k)), App.el("td", { class: "n" }, value(r.previousMonth, k)),
      App.el("td", { class: "n" }, change(r.figures, r.previousMonth, k)), App.el("td", { class: "n" }, value(r.yearBefore, k)),
      App.el("td", { class: "n" }, change(r.figures, r.yearBefore, k)))));
  $("responseTimes").replaceChildren(Charts.bars(r.responseTimes.map(b => ({ label: b.key === "none" ? I18n.t("band.none") : b.key, value: b.count })),
    { label: I18n.t("responseTimes"), color: "#00838f" }));
  $("dismissals").replaceChildren(r.dismissals.length
    ? Charts.bars(r.dismissals.map(d => ({ label: reasonOf(d.key), value: d.count })), { label: I18n.t("dismissals"), color: "#b26a00" })
    : App.el("p", { class: "muted" }, I18n.t("nothing")));
  const fact = (key, text) => [App.el("dt", { t: key }, I18n.t(key)), App.el("dd", {}, text)];
  const m = r.monitoring;
  $("permits").replaceChildren(...fact("permitsFiled", String(r.permits.filed)), ...fact("permitsApproved", String(r.permits.approved)),
    ...fact("permitsRefused", String(r.permits.refused)), ...fact("permitsRevoked", String(r.permits.revoked)),
    ...(m ? [...fact("fumeSites", String(m.fumeSites)), ...fact("fumeOnline", String(m.fumeSitesOnline)),
      ...fact("devicesOnline", `${m.devicesOnline} / ${m.devices} · ${pct(m.onlineRate)}`)] : []));
  drawComplaints(r.complaints);
  $("xlsx").href = `/api/reports/monthly.xlsx?month=${r.month}`;
  $("csv").href = `/api/reports/monthly.csv?month=${r.month}`;
}

// The month's complaints by channel and by kind, with the total, in the glossary's words.
function drawComplaints(c) {
  if (!c) return;
  const th = (key, n) => App.el("th", { t: key, class: n ? "n" : null }, I18n.t(key));
  const row = (name, n) => App.el("tr", { "data-key": n.key ?? "total" }, App.el("td", {}, name), App.el("td", { class: "n" }, String(n.received)),
    App.el("td", { class: "n" }, String(n.answered)), App.el("td", { class: "n" }, String(n.answeredOnTime)),
    App.el("td", { class: "n" }, pct(n.answerRate)), App.el("td", { class: "n" }, pct(n.onTimeRate)));
  const table = (id, first, prefix, list) => $(id).replaceChildren(
    App.el("tr", {}, th(first), th("cReceived", 1), th("cAnswered", 1), th("cOnTime", 1), th("cAnswerRate", 1), th("cOnTimeRate", 1)),
    ...list.map(n => row(I18n.t(prefix + n.key), n)), row(I18n.t("cTotal"), c.all));
  table("complaintChannels", "byChannel", "complaint.channel.", c.channels);
  table("complaintKinds", "byKind", "kind.", c.kinds);
  $("complaintRates").textContent = I18n.t("complaintRates", c.answerDays);
}

// A dismissal reason in the page's language (GET /api/cases/dismiss-reasons), set once the page starts.
let reasonOf = id => id;

async function load() {
  report = await api(`/api/reports/monthly?month=${encodeURIComponent($("month").value)}`);
  history.replaceState(null, "", `?month=${report.month}`);
  draw();
}

function drawRegisters() {
  // The complaints register names what people wrote: inspectors' and admins' (Api/Roles.Complaints).
  const complaints = ["inspector", "admin"].includes(App.me?.role) ? ["complaints"] : [];
  $("registers").replaceChildren(...["sites", "parties", "devices", "permits", "cases", ...complaints].map(name => App.el("li", { "data-register": name },
    App.el("span", { t: `register.${name}` }, I18n.t(`register.${name}`)), " ",
    App.el("a", { href: `/api/registers/${name}.xlsx`, download: true }, "xlsx"), " · ",
    App.el("a", { href: `/api/registers/${name}.csv`, download: true }, "csv"))));
}

App.start("report", async () => {
  const asked = new URLSearchParams(location.search).get("month");
  $("month").value = /^\d{4}-\d{2}$/.test(asked ?? "") ? asked : new Date().toLocaleDateString("en-CA", { timeZone: App.zone }).slice(0, 7);
  $("month").addEventListener("change", () => load().catch(App.fail));
  $("print").addEventListener("click", () => window.print());
  document.addEventListener("langchange", () => report && draw());
  const dismissReasons = await api("/api/cases/dismiss-reasons");
  reasonOf = id => dismissReasons.find(d => d.id === id)?.[I18n.lang === "zh" ? "zh" : "en"] ?? id;
  drawRegisters();
  await load();
});
