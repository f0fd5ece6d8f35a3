// The complaints register (投诉举报台账, GET/POST /api/complaints): the month's complaints with their answers, recording
// one and answering it. The month's counts are the monthly report's (Reports/MonthlyReport), not counted again here.
// Channels, kinds and ways of answering are the glossary's words (complaint.channel.*, kind.*, complaint.answer.*).
I18n.add({
  month: "收到月份", show: "显示", all: "全部", unansweredOnly: "未答复", answeredOnly: "已答复",
  record: "登记投诉举报", receivedAt: "收到时间（北京时间）", channel: "渠道", kind: "投诉类型", address: "地址（非登记点位时填写）",
  text: "投诉内容", contact: "投诉人联系方式（选填，仅执法人员可见）", reference: "工单号", lead: "线索编号", save: "登记", noSite: "（不是登记的点位）",
  count: "本月 {0} 件", received: "收到", answered: "已答复", onTime: "按时答复", answerRate: "答复率", onTimeRate: "按时答复率",
  answerDays: "答复时限：收到后 {0} 个自然日内。", due: "答复时限 {0}", overdue: "已超期未答复",
  answer: "答复", answerChannel: "答复方式", answeredAt: "答复时间（北京时间）", by: "答复人", answerText: "答复内容", submitAnswer: "保存答复", cancel: "取消",
  showContact: "查看联系方式", noContact: "未留联系方式", nothing: "没有投诉举报。", recorded: "{0} 登记", answeredBy: "{0} · {1} · {2}",
}, {
  month: "Month received", show: "Show", all: "all", unansweredOnly: "not answered", answeredOnly: "answered",
  record: "Record a complaint", receivedAt: "Received at (China time)", channel: "Channel", kind: "About", address: "Address (when not a registered point)",
  text: "What was complained of", contact: "Complainant's contact (optional; inspectors only)", reference: "Work order number", lead: "Lead number", save: "Record",
  noSite: "(not a registered point)", count: "{0} this month", received: "Received", answered: "Answered", onTime: "Answered on time",
  answerRate: "Answer rate", onTimeRate: "On-time rate", answerDays: "To be answered within {0} calendar days of receipt.", due: "answer by {0}",
  overdue: "overdue, not answered",
  answer: "Answer", answerChannel: "How", answeredAt: "Answered at (China time)", by: "Answered by", answerText: "What was answered", submitAnswer: "Save answer",
  cancel: "Cancel", showContact: "Show contact", noContact: "no contact left", nothing: "No complaints.", recorded: "recorded by {0}", answeredBy: "{0} · {1} · {2}",
});

const $ = id => document.getElementById(id);
let complaints = [], report = null, sites = [], answerChannels = [];
const word = (prefix, code) => (I18n.t(prefix + code) === prefix + code ? code : I18n.t(prefix + code));
const pct = r => (r === null || r === undefined ? "–" : `${(r * 100).toFixed(r === 1 || r === 0 ? 0 : 1)}%`);
// A datetime-local field is China time; the API takes the offset with it.
const beijing = value => (value ? `${value}:00+08:00` : null);
const nowInBeijing = () => new Date().toLocaleString("sv-SE", { timeZone: App.zone }).replace(" ", "T").slice(0, 16);
const day = iso => new Date(iso).toLocaleString(I18n.lang === "zh" ? "zh-CN" : "en-GB",
  { timeZone: App.zone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });

function drawCounts() {
  const c = report?.complaints?.all;
  const fact = (key, text) => [App.el("dt", { t: key }, I18n.t(key)), App.el("dd", { "data-count": key }, text)];
  $("counts").replaceChildren(...(c ? [...fact("received", String(c.received)), ...fact("answered", String(c.answered)),
    ...fact("onTime", String(c.answeredOnTime)), ...fact("answerRate", pct(c.answerRate)), ...fact("onTimeRate", pct(c.onTimeRate))] : []));
  $("answerDays").textContent = report ? I18n.t("answerDays", report.complaints.answerDays) : "";
}

// Where a complaint stands, in the glossary's words (complaint.answered, .late, .unanswered) or the page's (overdue).
function state(c) {
  if (c.answer) return c.answer.onTime ? { id: "answered", key: "complaint.answered", cls: "closed" } : { id: "late", key: "complaint.late", cls: "unpermitted" };
  return c.overdue ? { id: "overdue", key: "overdue", cls: "unpermitted" } : { id: "unanswered", key: "complaint.unanswered", cls: "open" };
}

function drawList() {
  $("count").textContent = I18n.t("count", complaints.length);
  if (!complaints.length) { $("complaints").replaceChildren(App.el("li", { class: "muted", id: "empty" }, I18n.t("nothing"))); return; }
  $("complaints").replaceChildren(...complaints.map(c => {
    const s = state(c);
    const where = c.site ? `${c.siteName ?? ""} (${c.site})`.trim() : c.address;
    const li = App.el("li", { "data-complaint": c.id, "data-state": s.id },
      App.el("div", { class: "lead", style: "display:block;padding:.7rem .8rem" },
        App.el("div", { class: "title" }, `${word("complaint.channel.", c.channel)} · ${word("kind.", c.kind)} `,
          App.el("span", { class: `pill ${s.cls}`, t: s.key }, I18n.t(s.key))),
        App.el("div", { class: "meta" }, `${day(c.receivedAt)} · ${where ?? ""}${c.reference ? ` · ${c.reference}` : ""}`),
        App.el("p", { style: "margin:.3rem 0;overflow-wrap:anywhere;white-space:pre-wrap" }, c.text),
        App.el("div", { class: "meta" }, c.answer ? "" : I18n.t("due", day(c.answerDue))),
        c.answer ? App.el("div", { class: "answer" },
          App.el("div", { class: "meta" }, I18n.t("answeredBy", day(c.answer.at), c.answer.by, word("complaint.answer.", c.answer.channel))),
          App.el("p", { style: "margin:.3rem 0;overflow-wrap:anywhere;white-space:pre-wrap" }, c.answer.text)) : null,
        App.el("div", { class: "steps" },
          c.hasContact ? App.el("button", { type: "button", class: "contact", t: "showContact", onclick: e => showContact(c, e.target) }, I18n.t("showContact")) : null,
          c.answer ? null : App.el("button", { type: "button", class: "answer", t: "answer", onclick: () => openAnswer(li, c) }, I18n.t("answer"))),
        App.el("div", { class: "form" })));
    return li;
  }));
}

async function showContact(c, button) {
  const full = await api(`/api/complaints/${c.id}`);
  button.replaceWith(App.el("span", { class: "contact-text" }, full.contact ?? I18n.t("noContact")));
}

function openAnswer(li, c) {
  const box = li.querySelector(".form");
  const field = (key, input) => [App.el("label", { t: key }, I18n.t(key)), input];
  const error = App.el("p", { class: "error", role: "alert" });
  const form = App.el("form", { class: "step-form" },
    ...field("answerChannel", App.el("select", { name: "channel", required: true },
      ...answerChannels.map(a => App.el("option", { value: a, t: `complaint.answer.${a}` }, word("complaint.answer.", a))))),
    ...field("answeredAt", App.el("input", { name: "answeredAt", type: "datetime-local", value: nowInBeijing(), required: true })),
    ...field("by", App.el("input", { name: "by", value: App.me?.name || App.me?.login || "", maxlength: "50" })),
    ...field("answerText", App.el("textarea", { name: "text", rows: "3", maxlength: "1000", required: true })),
    error,
    App.el("div", { class: "steps" },
      App.el("button", { type: "submit", class: "primary", t: "submitAnswer" }, I18n.t("submitAnswer")),
      App.el("button", { type: "button", t: "cancel", onclick: () => box.replaceChildren() }, I18n.t("cancel"))));
  form.addEventListener("submit", async e => {
    e.preventDefault();
    const f = new FormData(form);
    try {
      await api(`/api/complaints/${c.id}/answer`, { method: "POST",
        body: { channel: f.get("channel"), answeredAt: beijing(f.get("answeredAt")), by: f.get("by") || null, text: f.get("text") } });
      await load();
    } catch (err) { error.textContent = err.message; }
  });
  box.replaceChildren(form);
}

async function record(e) {
  e.preventDefault();
  const f = new FormData($("recordForm"));
  const text = name => (f.get(name) || "").trim() || null;
  $("recordError").textContent = "";
  try {
    await api("/api/complaints", { method: "POST", body: {
      receivedAt: beijing(f.get("receivedAt")), channel: f.get("channel"), kind: f.get("kind"), site: text("site"), address: text("address"),
      text: text("text"), contact: text("contact"), reference: text("reference"), lead: f.get("lead") ? Number(f.get("lead")) : null,
    } });
    $("recordForm").reset();
    $("receivedAt").value = nowInBeijing();
    $("record").open = false;
    await load();
  } catch (err) { $("recordError").textContent = err.message; }
}

async function load() {
  const month = $("month").value;
  const answered = $("answered").value;
  const query = new URLSearchParams({ month });
  if (answered) query.set("answered", answered);
  [complaints, report] = await Promise.all([apiAll(`/api/complaints?${query}`), api(`/api/reports/monthly?month=${encodeURIComponent(month)}`)]);
  history.replaceState(null, "", `?month=${month}${answered ? `&answered=${answered}` : ""}`);
  drawCounts();
  drawList();
}

function drawChoices(words) {
  const options = (id, prefix, list) => $(id).replaceChildren(...list.map(w => App.el("option", { value: w.id, t: prefix + w.id }, word(prefix, w.id))));
  options("channel", "complaint.channel.", words.channels);
  options("kind", "kind.", words.kinds);
  answerChannels = words.answerChannels.map(a => a.id);
  $("site").replaceChildren(App.el("option", { value: "", t: "noSite" }, I18n.t("noSite")),
    ...sites.map(s => App.el("option", { value: s.id }, `${s.id} ${s.name}`)));
}

App.start("complaints", async () => {
  const asked = new URLSearchParams(location.search);
  $("month").value = /^\d{4}-\d{2}$/.test(asked.get("month") ?? "") ? asked.get("month") : nowInBeijing().slice(0, 7);
  $("answered").value = ["true", "false"].includes(asked.get("answered")) ? asked.get("answered") : "";
  $("receivedAt").value = nowInBeijing();
  $("month").addEventListener("change", () => load().catch(App.fail));
  $("answered").addEventListener("change", () => load().catch(App.fail));
  $("recordForm").addEventListener("submit", record);
  document.addEventListener("langchange", () => { drawCounts(); drawList(); });
  const [words, all] = await Promise.all([api("/api/complaints/words"), apiAll("/api/sites")]);
  sites = all;
  drawChoices(words);
  await load();
});
