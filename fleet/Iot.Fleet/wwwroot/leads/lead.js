// One lead: what it rests on (readings against the limit, devices, commissioning, the site's permits and past),
// and its case, moved through the bureau's closed loop: 立案 → 派遣 → 到场签到 → 处置 → (处罚立案 · 责令限期改正 · 复查) → 核查 →
// 结案 → 反馈. The steps' names are the glossary's (step.*, status.*: /assets/words.js).
I18n.add({
  back: "← 全部线索", evidence: "下载证据包（zip）", readings: "事件期间的监测数据", case: "案件", history: "处置记录",
  devices: "设备与调试", commissioning: "调试记录", siteTitle: "点位", permits: "夜间施工证明（报备）", siteHistory: "该点位以往线索",
  readOnly: "只有执法人员可以处置案件。",
  locating: "正在获取手机定位…", fixAt: "定位 {0}, {1}（精度 ±{2} 米）", noFix: "无法获取定位：{0}。请手工录入到场时间并说明原因。",
  arrivalReason: "无法定位的原因（必填）", checkIn: "到场签到", distance: "距点位 {0} 米", far: "距点位过远，请核实",
  noSiteCoordinates: "点位无坐标，未计算距离", typed: "手工录入：{0}", verification: "核查", feedback: "反馈", channel: "反馈对象",
  feedbackText: "反馈内容（500 字以内）", arrivalTyped: "到场时间（无签到时手工录入，须说明原因）",
  noticeFirst: "轻微违法：向经营者送达告知书，由其签署承诺书，不走处罚程序（轻微违法告知承诺）。",
  rule: "规则", value: "最高值 / 限值", episode: "超标时段", raised: "发现时间", profile: "标准", late: "补传数据", detail: "说明", evasion: "疑似逃避方式",
  squad: "中队", responseDue: "到场时限", respondedAt: "到场时间", result: "现场处置结果", rectifyBy: "改正期限", recheckResult: "复查结果",
  closeReason: "结案理由", note: "备注", noteRequired: "备注（必填）", squadAuto: "网格所属中队（自动）：{0}", squadNone: "（该网格无所属中队）",
  arrivedAt: "到场时间", violationFound: "发现违法", noViolation: "未发现违法", due: "改正期限", rectified: "已整改", notRectified: "未整改",
  reason: "理由", submit: "提交", cancel: "取消", limit: "限值 {0}", episodeBand: "超标时段", edgeBand: "首末超标窗口", overLimit: "超限分钟",
  device: "设备", status: "状态", lastSeen: "最后上报", firmware: "固件", buffered: "缓存", rejected: "拒收", passed: "通过", failed: "未通过",
  signedBy: "{0} 签署于 {1}，自 {2} 起有效", adminRecord: "管理员补录", noPermits: "无夜间施工证明或报备。", noHistory: "无以往线索。", kind: "类型",
  coordinates: "坐标", open: "打开", inspectorsOnly: "证据包仅限执法人员下载。",
  reviewDue: "复核时限", minorVerdict: "轻微违法认定", minorYes: "轻微（告知承诺）",
  minorNo: "不属轻微（处罚程序）", minorUpTo: "轻微上限 {0}", minorNever: "不按超标幅度认定轻微", decidedBy: "认定：{0}", fleetDecided: "系统按清单判定",
  minorChoice: "认定", reasonRequired: "理由（必填）", commitment: "承诺书", signedFor: "经营者签字人", signedAt: "签署时间", letterText: "承诺内容",
  letterReference: "承诺书编号", letterScan: "承诺书扫描件（JPEG/PNG，可选）", scan: "扫描件",
  mergedInto: "已并入线索", leadChanges: "线索变更（补传数据）",
  deviceProof: "设备签名",
  evidenceGrade: "证据等级", calibrated: "计量器具检定有效", uncalibrated: "计量器具在监测时段内无有效检定：不作为执法证据，仅供核查",
  meters: "计量器具", noMeter: "未登记计量器具", serial: "出厂编号", certificate: "检定证书 {0}，有效期至 {1}", noCertificate: "无有效检定证书",
  background: "背景噪声", backgroundBy: "{0} dB(A)（{1} 测量于 {2}）", measuredCorrected: "最高测量值 {0}，修正后 {1}", notice: "告知书（打印）",
}, {
  deviceProof: "Device proof",
  evidenceGrade: "Evidence grade", calibrated: "meter calibration valid", uncalibrated: "no valid meter calibration over the windows: not evidence, for checking only",
  meters: "Meters", noMeter: "no meter registered", serial: "serial", certificate: "certificate {0}, valid until {1}", noCertificate: "no valid certificate",
  background: "Background noise", backgroundBy: "{0} dB(A) (measured by {1} at {2})", measuredCorrected: "highest measured {0}, corrected {1}", notice: "Notice to the party (print)",
  back: "← All leads", evidence: "Download the evidence bundle (zip)", readings: "Readings over the episode", case: "Case", history: "History",
  devices: "Devices and commissioning", commissioning: "Commissioning records", siteTitle: "Monitoring point", permits: "Night-work certificates (registrations)",
  siteHistory: "Earlier leads at this monitoring point",
  readOnly: "Only inspectors take the loop's steps.",
  locating: "Asking the phone for its location…", fixAt: "location {0}, {1} (±{2} m)", noFix: "No location: {0}. Type the arrival time and say why.",
  arrivalReason: "Why there is no location (required)", checkIn: "Check-in", distance: "{0} m from the monitoring point", far: "far from the monitoring point: check",
  noSiteCoordinates: "the monitoring point has no coordinates: no distance", typed: "typed by hand: {0}", verification: "Verification", feedback: "Feedback",
  channel: "Feedback to", feedbackText: "What was said (up to 500 characters)", arrivalTyped: "Arrived at (typed without a check-in, with a reason)",
  noticeFirst: "Minor offence: the operator gets a notice and signs a commitment letter (承诺书) instead of the penalty path.",
  rule: "Rule", value: "Worst / limit", episode: "Episode", raised: "Raised", profile: "Standard", late: "Backfilled data", detail: "Detail", evasion: "Suspected evasion by",
  squad: "Squad", responseDue: "Response due", respondedAt: "On site", result: "On-site result", rectifyBy: "Correct by", recheckResult: "Re-check",
  closeReason: "Close reason", note: "Note", noteRequired: "Note (required)", squadAuto: "Squad owning the grid (automatic): {0}", squadNone: "(no squad owns this grid)",
  mergedInto: "Merged into lead", leadChanges: "Changes from late data",
  arrivedAt: "Arrived at", violationFound: "violation found", noViolation: "no violation", due: "Correct by", rectified: "rectified", notRectified: "not rectified",
  reason: "Reason", submit: "Submit", cancel: "Cancel", limit: "limit {0}", episodeBand: "episode", edgeBand: "first and last breaching window", overLimit: "minute over the limit",
  device: "Device", status: "Status", lastSeen: "Last seen", firmware: "Firmware", buffered: "Buffered", rejected: "Rejected", passed: "passed", failed: "failed",
  signedBy: "signed by {0} at {1}, valid from {2}", adminRecord: "admin record", noPermits: "No night-work certificates or registrations.", noHistory: "No earlier leads.", kind: "Kind",
  coordinates: "Coordinates", open: "open", inspectorsOnly: "The evidence bundle is for inspectors.",
  reviewDue: "Review due", minorVerdict: "Minor offence", minorYes: "minor (notice)",
  minorNo: "not minor (penalty path)", minorUpTo: "minor up to {0}", minorNever: "never minor by margin", decidedBy: "decided by {0}", fleetDecided: "judged by the bureau's list",
  minorChoice: "Decision", reasonRequired: "Reason (required)", commitment: "Commitment letter", signedFor: "Signed for the operator by", signedAt: "Signed at",
  letterText: "What the operator commits to", letterReference: "Letter number", letterScan: "Scan of the letter (JPEG/PNG, optional)", scan: "scan",
});

const $ = id => document.getElementById(id);
const id = +new URLSearchParams(location.search).get("id");
let evidence = null, theCase = null, site = null, squads = [], reasons = [], channels = [], meta = null;

// Which states each step may start from is the fleet's (GET /api/meta, Cases/CaseSteps.AllowedFrom), so the buttons say
// what is possible; the server still judges every step. The two close buttons are one step there, with its outcome.
const STEP = { confirm: "close:confirmed", dismiss: "close:dismissed" };
// What the state alone does not say (the server refuses it otherwise): a commitment letter belongs to a noticed case only,
// a penalty case is filed once and never for a notice, a check-in and a verification are made once.
// A case closes as confirmed once verified (核查) by someone other than who recorded its result.
const ONCE = { commitment: c => c.notice, file: c => !c.notice && !c.caseNumber, checkin: c => !c.checkIn, verify: c => !c.verification,
  confirm: c => !!c.verification };
const possible = (step, c) => (meta.caseSteps[STEP[step] ?? step] ?? []).includes(c.status) && (ONCE[step]?.(c) ?? true);

const COLORS = ["#0b63ce", "#7b3fb5", "#00838f", "#5d4037"];

const fact = (dl, key, ...value) => dl.append(App.el("dt", { t: key }, I18n.t(key)), App.el("dd", {}, ...value));

function drawSummary() {
  const l = evidence.lead;
  $("title").textContent = `#${l.id} ${App.rule(l.rule)}`;
  const dl = $("facts");
  dl.replaceChildren();
  fact(dl, "rule", App.rule(l.rule));
  // A suspected evasion says what it rests on; an opened enclosure has no measure to set against a limit.
  if (evidence.evasion) fact(dl, "evasion", App.el("span", { "data-evasion": evidence.evasion }, I18n.t(`evasion.${evidence.evasion}`)));
  if (evidence.evasion !== "tamper") fact(dl, "value", `${App.num(l.value)} / ${App.num(l.limit)} ${l.unit}`);
  fact(dl, "episode", `${App.time(l.start)} – ${App.clock(new Date(new Date(l.end).getTime() + evidence.windowMinutes * 60000))} (${I18n.t("minutes", evidence.windowMinutes)})`);
  fact(dl, "raised", App.time(evidence.raisedAt));
  fact(dl, "siteTitle", App.el("a", { href: `/sites/#site-${l.site}` }, `${site?.name ?? l.site} · ${l.site}`), site?.grid ? ` · ${I18n.t("grid")} ${site.grid}` : "");
  // The profile version the lead was judged by, with the standard it comes from.
  if (evidence.profile) fact(dl, "profile", `${evidence.profile.name} (${evidence.profile.id} v${evidence.profile.version}) — ${evidence.profile.source}`);
  if (l.late) fact(dl, "late", I18n.t("yes"));
  if (l.night) fact(dl, "permits", App.permit(l), l.permit ? ` #${l.permit}` : "");
  if (evidence.detail) fact(dl, "detail", evidence.detail);
  // What the evidence rests on (Meters/): the grade, the meters with their certificates, the background correction.
  // Whether the records the windows rest on came with their gateway's MAC (firmware/Gateway.Core/Telemetry/README.md).
  if (evidence.proof) fact(dl, "deviceProof", App.el("span", { "data-proof": evidence.proof, class: evidence.proof === "verified" ? "badge pass" : "badge fail" }, I18n.t(`proof.${evidence.proof}`)));
  if (l.evidence) fact(dl, "evidenceGrade", App.el("span", { "data-evidence": l.evidence, class: l.evidence === "uncalibrated" ? "badge fail" : "badge pass" }, I18n.t(l.evidence)));
  if (evidence.meters) fact(dl, "meters", evidence.meters.length ? App.el("ul", {}, ...evidence.meters.map(m => App.el("li", {},
    `${m.device}: ${m.make} ${m.model} · ${I18n.t("serial")} ${m.serial}${m.typeApproval ? ` · ${m.typeApproval}` : ""} · `
      + (m.certificate ? I18n.t("certificate", m.certificate, m.validUntil) : I18n.t("noCertificate"))))) : I18n.t("noMeter"));
  if (evidence.background) {
    const worst = (evidence.readings ?? []).reduce((w, r) => (!w || r.value > w.value ? r : w), null);
    fact(dl, "background", I18n.t("backgroundBy", App.num(evidence.background.level), evidence.background.measuredBy, App.time(evidence.background.measuredAt)),
      worst ? ` · ${I18n.t("measuredCorrected", App.num(worst.measured), App.num(worst.value))}` : "");
  }
  // Late records may have merged, cut or withdrawn the lead: where it went and why (lead_history).
  if (l.mergedInto) fact(dl, "mergedInto", App.el("a", { href: `/leads/lead.html?id=${l.mergedInto}` }, `#${l.mergedInto}`));
  if (evidence.history?.length)
    fact(dl, "leadChanges", App.el("ul", {}, ...evidence.history.map(h => App.el("li", { "data-change": h.change }, `${App.time(h.at)} · ${h.change} · ${h.detail}`))));
  $("evidence").href = `/api/leads/${l.id}/evidence.zip`;
  $("evidence").classList.toggle("hidden", !App.handles());
  $("notice").href = `/leads/${l.id}/notice`;
}

function drawChart() {
  const l = evidence.lead;
  // The channels the rule judges (the first against the limit) and which way is worse, from the fleet (GET /api/meta).
  const rule = meta.rules.find(r => r.id === l.rule);
  const channels = rule?.channels ?? [];
  const over = v => (rule?.lowerIsWorse ? v < l.limit : v > l.limit);
  const devices = [...new Set(evidence.records.map(r => r.device))];
  const series = [];
  devices.forEach((device, d) => channels.forEach((channel, c) => {
    const points = evidence.records
      .filter(r => r.device === device && (r.quality & meta.notEvidence) === 0 && typeof r.measurements[channel] === "number")
      .map(r => [new Date(r.start).getTime(), r.measurements[channel]]);
    series.push({ label: `${device} ${channel}`, color: COLORS[(d * channels.length + c) % COLORS.length], points, dashed: c > 0, over: c === 0 ? over : null });
  }));
  const window = evidence.windowMinutes * 60000;
  const start = new Date(l.start).getTime(), end = new Date(l.end).getTime();
  // Every window from the first breaching one to the last belongs to the episode; the first and last breached for sure.
  const bands = [{ from: start, to: end + window }, { from: start, to: start + window, cls: "edge" }];
  if (end > start) bands.push({ from: end, to: end + window, cls: "edge" });
  const chart = Charts.timeline({
    series, bands, limit: l.limit, limitLabel: I18n.t("limit", `${App.num(l.limit)} ${l.unit}`), unit: channels[0] ? `${channels[0]} (${l.unit})` : l.unit,
    label: I18n.t("readings"), timeText: t => App.clock(new Date(t).toISOString()),
  });
  $("chart").replaceChildren(chart);
  $("legend").replaceChildren(
    ...series.map(s => App.el("span", {}, App.el("i", { style: `background:${s.color}` }), s.label)),
    App.el("span", {}, App.el("i", { style: "background:#c6282822" }), I18n.t("episodeBand")),
    App.el("span", {}, App.el("i", { style: "background:#c6282855" }), I18n.t("edgeBand")),
    App.el("span", {}, App.el("i", { style: "background:var(--fail);height:2px" }), I18n.t("limit", "")));
}

function drawCase() {
  const c = theCase;
  if (!c) { $("caseCard").classList.add("hidden"); return; }
  const closed = c.status === "confirmed" || c.status === "dismissed";
  $("caseStatus").textContent = App.status(c.status);
  $("caseStatus").className = `pill ${c.status === "open" ? "open" : closed ? (c.status === "dismissed" ? "dismissed" : "closed") : ""}`;
  $("caseStatus").dataset.status = c.status;
  $("notice").classList.toggle("hidden", !c.notice);
  const dl = $("caseFacts");
  dl.replaceChildren();
  if (c.late) fact(dl, "reviewDue", App.el("span", { class: "pill notice", t: "backfilled" }, I18n.t("backfilled")), " ", App.time(c.reviewDue));
  else fact(dl, "responseDue", App.time(c.responseDue));
  if (c.squad) fact(dl, "squad", squadName(c.squad));
  if (c.respondedAt) fact(dl, "respondedAt", App.time(c.respondedAt));
  if (c.checkIn) fact(dl, "checkIn", ...checkInText(c.checkIn));
  if (c.result) fact(dl, "result", App.status(c.result), c.resultNote ? ` — ${c.resultNote}` : "");
  if (c.minor) fact(dl, "minorVerdict", ...minorText(c.minor));
  if (c.commitment) fact(dl, "commitment", ...letterText(c.commitment));
  if (c.rectifyBy) fact(dl, "rectifyBy", App.time(c.rectifyBy));
  if (c.recheck) fact(dl, "recheckResult", App.status(c.recheck));
  if (c.caseNumber) fact(dl, "case_number", c.caseNumber);
  if (c.verification) fact(dl, "verification", `${c.verification.by} · ${App.time(c.verification.at)}`, App.el("div", { class: "muted" }, c.verification.note));
  if (c.fineYuan != null) fact(dl, "fine", c.fineYuan.toFixed(2));
  if (c.feedback?.length) fact(dl, "feedback", App.el("ul", {}, ...c.feedback.map(f => App.el("li", { "data-channel": f.channel },
    `${channelText(f.channel)} · ${f.by} · ${App.time(f.at)}`, App.el("div", { class: "muted" }, f.text)))));
  if (c.closeReason) fact(dl, "closeReason", reasonText(c.closeReason), c.closeNote ? ` — ${c.closeNote}` : "");
  const may = App.handles();
  for (const button of $("steps").querySelectorAll("button")) button.disabled = !may || !possible(button.dataset.step, c);
  $("readOnly").classList.toggle("hidden", may);
  $("history").replaceChildren(...(c.history ?? []).map(h => App.el("li", { "data-step": h.step },
    App.el("strong", {}, I18n.t(`step.${h.step}`)), ` · ${App.status(h.from)} → ${App.status(h.to)} · ${h.by} · ${App.time(h.at)}`,
    h.data?.note ? App.el("div", { class: "muted" }, h.data.note) : null,
    h.data?.squad ? App.el("div", { class: "muted" }, `${I18n.t("squad")}: ${squadName(h.data.squad)}`) : null,
    h.data?.reason ? App.el("div", { class: "muted" }, reasonText(h.data.reason)) : null,
    h.data?.why ? App.el("div", { class: "muted" }, h.data.why) : null,
    h.data?.minor?.why ? App.el("div", { class: "muted" }, h.data.minor.why) : null,
    h.data?.signed_by ? App.el("div", { class: "muted" }, `${h.data.signed_by} · ${App.time(h.data.signed_at)}`) : null,
    h.data?.case_number ? App.el("div", { class: "muted" }, `${I18n.t("case_number")} ${h.data.case_number}`) : null,
    h.data?.channel ? App.el("div", { class: "muted" }, `${channelText(h.data.channel)}: ${h.data.text}`) : null,
    h.data?.distance_m != null ? App.el("div", { class: "muted" }, I18n.t("distance", App.num(h.data.distance_m))) : null,
    h.data?.fine_yuan != null ? App.el("div", { class: "muted" }, `${I18n.t("fine")} ${Number(h.data.fine_yuan).toFixed(2)}`) : null)));
  tick();
}

// The notice-first judgement: minor or not, how far over in the rule's own terms (dB, %, min), and who decided why.
function minorText(m) {
  const over = m.unit === "min" ? `${App.num(m.over)} min` : `+${App.num(m.over)} ${m.unit}`;
  const allowed = m.allowed == null ? I18n.t("minorNever") : I18n.t("minorUpTo", `${App.num(m.allowed)} ${m.unit}`);
  return [I18n.t(m.minor ? "minorYes" : "minorNo"), ` · ${over} (${allowed}) · `,
    m.by === "fleet" ? I18n.t("fleetDecided") : I18n.t("decidedBy", m.by),
    m.reason ? App.el("div", { class: "muted" }, m.reason) : null, App.el("div", { class: "muted" }, m.why)];
}

// Where the check-in was: the distance to the monitoring point and a warning when far, or the typed time's reason.
function checkInText(k) {
  if (k.lat == null) return [App.time(k.at), " · ", I18n.t("typed", k.reason)];
  return [App.time(k.at), " · ", k.distanceM == null ? I18n.t("noSiteCoordinates") : I18n.t("distance", App.num(k.distanceM)),
    k.far ? App.el("span", { class: "badge fail", "data-far": "true" }, ` ${I18n.t("far")}`) : null];
}

function letterText(k) {
  return [`${k.signedBy} · ${App.time(k.signedAt)}`, k.reference ? ` · ${k.reference}` : "",
    k.hasScan ? App.el("a", { href: `/api/leads/${id}/case/commitment/scan`, target: "_blank", t: "scan" }, ` 📄 ${I18n.t("scan")}`) : null,
    k.text ? App.el("div", { class: "muted" }, k.text) : null];
}

const dataUrl = file => new Promise((resolve, reject) => {
  const reader = new FileReader();
  reader.onload = () => resolve(reader.result);
  reader.onerror = () => reject(reader.error);
  reader.readAsDataURL(file);
});

function tick() {
  const timer = App.timer(theCase);
  $("timer").textContent = timer.text;
  $("timer").className = `timer big ${timer.cls}`;
}

const squadName = sid => { const s = squads.find(q => q.id === sid); return s ? `${s.name} (${s.id})` : sid; };
const channelText = cid => { const c = channels.find(x => x.id === cid); return c ? (I18n.lang === "zh" ? c.zh : c.en) : cid; };
const reasonText = rid => { const r = reasons.find(x => x.id === rid); return r ? (I18n.lang === "zh" ? r.zh : r.en) : rid; };
const owner = () => squads.find(s => site?.grid && s.grids.includes(site.grid));

// The local time in the bureau's zone as a datetime-local value, and back.
const localInput = date => new Date(date.getTime() + 8 * 3600000).toISOString().slice(0, 16);
const fromLocalInput = value => new Date(`${value}:00+08:00`).toISOString();

const field = (key, control) => [App.el("label", { for: control.id, t: key }, I18n.t(key)), control];
const select = (fieldId, items) => App.el("select", { id: fieldId }, ...items.map(([value, key, text]) => App.el("option", { value, t: key }, text ?? I18n.t(key))));

// Each step's form: its fields, and the request it sends.
const FORMS = {
  acknowledge: () => ({ fields: [field("note", App.el("input", { id: "stepNote" }))], send: () => ["acknowledge", { note: $("stepNote").value || undefined }] }),
  dispatch: () => ({
    fields: [field("squad", App.el("select", { id: "dispatchSquad" },
      App.el("option", { value: "" }, owner() ? I18n.t("squadAuto", squadName(owner().id)) : I18n.t("squadNone")),
      ...squads.map(s => App.el("option", { value: s.id }, `${s.name} (${s.id})`)))), field("note", App.el("input", { id: "stepNote" }))],
    send: () => ["dispatch", { squad: $("dispatchSquad").value || undefined, note: $("stepNote").value || undefined }],
  }),
  // Arrival by the phone's location (navigator.geolocation); only when it has none, typed by hand with the reason.
  checkin: () => ({
    fields: [App.el("p", { id: "fixStatus", class: "muted" }, I18n.t("locating")),
      App.el("div", { id: "typedArrival", class: "hidden" },
        field("arrivedAt", App.el("input", { id: "arrivedAt", type: "datetime-local", value: localInput(new Date()) })),
        field("arrivalReason", App.el("textarea", { id: "arrivalReason", rows: 2 })))],
    after: () => {
      $("submitStep").disabled = true;
      const typed = why => {
        $("fixStatus").textContent = I18n.t("noFix", why);
        $("typedArrival").classList.remove("hidden");
        $("arrivalReason").required = true;
        $("submitStep").disabled = false;
      };
      if (!navigator.geolocation) { typed("navigator.geolocation"); return; }
      navigator.geolocation.getCurrentPosition(p => {
        fix = { lat: p.coords.latitude, lon: p.coords.longitude, accuracy: p.coords.accuracy };
        $("fixStatus").textContent = I18n.t("fixAt", fix.lat.toFixed(5), fix.lon.toFixed(5), Math.round(fix.accuracy));
        $("submitStep").disabled = false;
      }, e => typed(e.message || String(e.code)), { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    },
    send: () => ["checkin", fix ?? { arrivedAt: fromLocalInput($("arrivedAt").value), reason: $("arrivalReason").value }],
  }),
  result: () => ({
    fields: [field("result", select("resultValue", [["violation_found", "violationFound"], ["no_violation", "noViolation"]])),
      field("noteRequired", App.el("textarea", { id: "stepNote", rows: 2, required: true })),
      ...(theCase.checkIn ? [] : [field("arrivalTyped", App.el("input", { id: "arrivedAt", type: "datetime-local" })),
        field("arrivalReason", App.el("input", { id: "arrivalReason" }))])],
    send: () => ["result", { result: $("resultValue").value, note: $("stepNote").value,
      arrivedAt: $("arrivedAt")?.value ? fromLocalInput($("arrivedAt").value) : undefined, arrivalReason: $("arrivalReason")?.value || undefined }],
  }),
  file: () => ({
    fields: [field("case_number", App.el("input", { id: "caseNumber", required: true, maxlength: 64 }))],
    send: () => ["file", { caseNumber: $("caseNumber").value }],
  }),
  verify: () => ({
    fields: [field("noteRequired", App.el("textarea", { id: "stepNote", rows: 2, required: true }))],
    send: () => ["verify", { note: $("stepNote").value }],
  }),
  feedback: () => ({
    fields: [field("channel", App.el("select", { id: "feedbackChannel" }, ...channels.map(c => App.el("option", { value: c.id }, I18n.lang === "zh" ? c.zh : c.en)))),
      field("feedbackText", App.el("textarea", { id: "feedbackText", rows: 2, required: true, maxlength: 500 }))],
    send: () => ["feedback", { channel: $("feedbackChannel").value, text: $("feedbackText").value }],
  }),
  deadline: () => ({
    fields: [field("due", App.el("input", { id: "dueAt", type: "datetime-local", required: true, value: localInput(new Date(Date.now() + 7 * 86400000)) })),
      field("note", App.el("input", { id: "stepNote" }))],
    send: () => ["deadline", { due: fromLocalInput($("dueAt").value), note: $("stepNote").value || undefined }],
  }),
  recheck: () => ({
    fields: [field("recheckResult", select("recheckValue", [["rectified", "rectified"], ["not_rectified", "notRectified"]])), field("note", App.el("input", { id: "stepNote" }))],
    send: () => ["recheck", { result: $("recheckValue").value, note: $("stepNote").value || undefined }],
  }),
  minor: () => ({
    fields: [field("minorChoice", select("minorValue", theCase.notice ? [["false", "minorNo"], ["true", "minorYes"]] : [["true", "minorYes"], ["false", "minorNo"]])),
      field("reasonRequired", App.el("textarea", { id: "stepNote", rows: 2, required: true }))],
    send: () => ["minor", { minor: $("minorValue").value === "true", reason: $("stepNote").value }],
  }),
  commitment: () => ({
    fields: [field("signedFor", App.el("input", { id: "signedBy", required: true })),
      field("signedAt", App.el("input", { id: "signedAt", type: "datetime-local", value: localInput(new Date()) })),
      field("letterReference", App.el("input", { id: "letterReference" })),
      field("letterText", App.el("textarea", { id: "letterText", rows: 3 })),
      field("letterScan", App.el("input", { id: "letterScan", type: "file", accept: "image/jpeg,image/png" }))],
    send: async () => ["commitment", {
      signedBy: $("signedBy").value, signedAt: $("signedAt").value ? fromLocalInput($("signedAt").value) : undefined,
      reference: $("letterReference").value || undefined, text: $("letterText").value || undefined,
      scan: $("letterScan").files[0] ? await dataUrl($("letterScan").files[0]) : undefined,
    }],
  }),
  // A filed penalty case closes with its fine (0 for a warning).
  confirm: () => ({
    fields: [...(theCase.caseNumber ? [field("fine", App.el("input", { id: "fineYuan", type: "number", min: 0, step: "0.01", required: true }))] : []),
      field("note", App.el("input", { id: "stepNote" }))],
    send: () => ["close", { outcome: "confirmed", note: $("stepNote").value || undefined, fineYuan: $("fineYuan") ? Number($("fineYuan").value) : undefined }],
  }),
  dismiss: () => ({
    fields: [field("reason", App.el("select", { id: "dismissReason" }, ...reasons.map(r => App.el("option", { value: r.id }, I18n.lang === "zh" ? r.zh : r.en)))),
      field("note", App.el("textarea", { id: "stepNote", rows: 2 }))],
    send: () => ["close", { outcome: "dismissed", reason: $("dismissReason").value, note: $("stepNote").value || undefined }],
  }),
};

// The step's name as its button shows it (the glossary's word).
const stepWord = step => $(step).dataset.t;
let fix = null;

function openStep(step) {
  fix = null;
  const { fields, send, after } = FORMS[step]();
  const form = $("stepForm");
  $("caseError").textContent = "";
  form.replaceChildren(App.el("h2", { t: stepWord(step) }, I18n.t(stepWord(step))), ...fields.flat(),
    App.el("div", { class: "steps" },
      App.el("button", { type: "submit", class: "primary", id: "submitStep", t: "submit" }, I18n.t("submit")),
      App.el("button", { type: "button", id: "cancelStep", t: "cancel", onclick: () => form.classList.add("hidden") }, I18n.t("cancel"))));
  form.classList.remove("hidden");
  form.onsubmit = async event => {
    event.preventDefault();
    $("submitStep").disabled = true;
    try {
      const [path, body] = await send();
      theCase = await api(`/api/leads/${id}/case/${path}`, { method: "POST", body });
      form.classList.add("hidden");
      drawCase();
    } catch (e) {
      $("caseError").textContent = e.message;
      $("submitStep").disabled = false;
    }
  };
  form.querySelector("input, select, textarea")?.focus();
  after?.();
}

async function drawDevices() {
  const records = await apiAll(`/api/sites/${encodeURIComponent(evidence.lead.site)}/commissioning`);
  $("devices").replaceChildren(
    App.el("tr", {}, ...["device", "status", "lastSeen", "firmware", "buffered", "rejected"].map(k => App.el("th", { t: k, class: ["buffered", "rejected"].includes(k) ? "n" : null }, I18n.t(k)))),
    ...evidence.devices.map(d => App.el("tr", { "data-device": d.id },
      App.el("td", {}, d.id), App.el("td", {}, App.el("span", { class: `dot ${d.status}` }), I18n.t(`device.${d.status}`)),
      App.el("td", {}, App.time(d.lastSeen)), App.el("td", {}, d.firmware ?? "–"), App.el("td", { class: "n" }, d.buffered ?? "–"), App.el("td", { class: "n" }, d.rejected))));
  $("commissioning").replaceChildren(...records.map(r => App.el("li", {},
    App.el("span", { class: `badge ${r.passed ? "pass" : "fail"}`, t: r.passed ? "passed" : "failed" }, I18n.t(r.passed ? "passed" : "failed")),
    App.el("div", {}, App.el("div", {}, `${r.device ?? r.site} · ${r.method === "admin-record" ? I18n.t("adminRecord") : r.method}`),
      App.el("div", { class: "muted" }, I18n.t("signedBy", r.signedBy, App.time(r.signedAt), App.time(r.validFrom))),
      r.note ? App.el("div", { class: "muted" }, r.note) : null,
      r.hasPhoto ? App.el("a", { href: `/api/commissioning/${r.id}/photo`, target: "_blank" }, "📷") : null))));
}

async function drawSite() {
  const l = evidence.lead;
  const [permits, leads, cases] = await Promise.all([
    apiAll(`/api/sites/${encodeURIComponent(l.site)}/permits`), api(`/api/leads?site=${encodeURIComponent(l.site)}&limit=21`).then(p => p.items), apiAll("/api/cases")]);
  const caseOf = new Map(cases.map(c => [c.lead, c]));
  const dl = $("siteFacts");
  dl.replaceChildren();
  if (site) {
    fact(dl, "siteTitle", `${site.name} · ${site.id}`);
    fact(dl, "kind", I18n.t(`kind.${site.kind}`));
    fact(dl, "grid", site.grid ?? "–", owner() ? ` · ${squadName(owner().id)}` : "");
    if (site.lat != null) fact(dl, "coordinates", `${site.lat.toFixed(5)}, ${site.lon.toFixed(5)}`);
  }
  $("permits").replaceChildren(...(permits.length ? permits.map(p => App.el("li", { "data-permit": p.id },
    `${App.time(p.from)} – ${App.time(p.to)} · ${I18n.t(`permit.${p.status}`)}${p.reference ? ` · ${p.reference}` : ""}`)) : [App.el("li", { class: "muted", t: "noPermits" }, I18n.t("noPermits"))]));
  const earlier = leads.filter(x => x.id !== l.id).slice(0, 20);
  $("siteHistory").replaceChildren(...(earlier.length ? earlier.map(x => App.el("li", {},
    App.el("a", { href: `/leads/lead.html?id=${x.id}` }, `#${x.id}`),
    App.el("div", {}, `${App.rule(x.rule)} · ${App.time(x.start)} · ${App.num(x.value)}/${App.num(x.limit)} ${x.unit}`,
      App.el("div", { class: "muted" }, App.status(x.status === "new" ? caseOf.get(x.id)?.status ?? "open" : x.status))))) : [App.el("li", { class: "muted", t: "noHistory" }, I18n.t("noHistory"))]));
}

App.start("leads", async () => {
  $("steps").addEventListener("click", event => { const step = event.target.dataset?.step; if (step) openStep(step); });
  evidence = await api(`/api/leads/${id}`);
  [site, squads, reasons, channels, meta] = await Promise.all([api(`/api/sites/${encodeURIComponent(evidence.lead.site)}`).catch(() => null), apiAll("/api/squads"),
    api("/api/cases/dismiss-reasons"), api("/api/cases/feedback-channels"), App.meta()]);
  theCase = evidence.lead.status === "new" ? await api(`/api/leads/${id}/case`) : null;
  const redraw = () => { drawSummary(); drawChart(); drawCase(); };
  redraw();
  document.addEventListener("langchange", () => { redraw(); drawDevices().catch(App.fail); drawSite().catch(App.fail); });
  await Promise.all([drawDevices(), drawSite()]);
  setInterval(tick, 1000);
  App.live({
    case: c => { if (c.lead === id) { theCase = c; drawCase(); } },
    missed: async () => {
      try { if (evidence.lead.status === "new") { theCase = await api(`/api/leads/${id}/case`); drawCase(); } } catch (e) { App.fail(e); }
    },
  });
});
