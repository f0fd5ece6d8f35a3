// The engineers' alerts: integrity alerts (offline, tamper, flat readings, conflicts, unsigned records, calibration, the
// fleet's own stages) with their handling (acknowledge, then resolve with what was done), and the latest conflicts and
// rejected messages. Alert names come from the glossary (words.js); engineers and admins act, others read.
I18n.add({
  count: "{0} 条告警", showResolved: "显示已解决", empty: "没有待处理的告警。", conflicts: "记录编号冲突（最近 20 条）",
  rejections: "拒收消息（最近 20 条）", acknowledge: "确认", resolve: "解决", note: "处理说明", save: "提交", cancel: "取消",
  by: "{0} · {1}", none: "无",
}, {
  count: "{0} alerts", showResolved: "show resolved", empty: "No open alerts.", conflicts: "Record number conflicts (latest 20)",
  rejections: "Rejected messages (latest 20)", acknowledge: "Acknowledge", resolve: "Resolve", note: "What was done", save: "Submit",
  cancel: "Cancel", by: "{0} · {1}", none: "none",
});

const $ = id => document.getElementById(id);
let alerts = [], handling = new Map(), conflicts = [], rejections = [];
const acts = () => ["engineer", "admin"].includes(App.me?.role);

async function load() {
  alerts = (await api("/api/alerts?limit=100")).items;
  const states = alerts.length ? await api(`/api/alerts/handling?ids=${alerts.map(a => a.id).join(",")}`) : [];
  handling = new Map(states.map(s => [s.alert, s]));
  [conflicts, rejections] = await Promise.all([api("/api/conflicts?limit=20").then(p => p.items), api("/api/rejections?limit=20").then(p => p.items)]);
  draw();
}

function draw() {
  const shown = alerts.filter(a => $("showResolved").checked || handling.get(a.id)?.state !== "resolved");
  $("count").textContent = I18n.t("count", shown.length);
  $("empty").classList.toggle("hidden", shown.length > 0);
  $("alerts").replaceChildren(...shown.map(a => {
    const h = handling.get(a.id) ?? { state: "open" };
    const box = App.el("div", { class: "step-form" });
    const step = (name, needsNote) => App.el("button", { type: "button", class: name, t: name, onclick: () => {
      const note = App.el("input", { name: "note", required: needsNote, "aria-label": I18n.t("note"), placeholder: I18n.t("note") });
      const error = App.el("p", { class: "error", role: "alert" });
      const form = App.el("form", {}, note, error, App.el("div", { class: "steps" },
        App.el("button", { type: "submit", class: "primary", t: "save" }, I18n.t("save")),
        App.el("button", { type: "button", t: "cancel", onclick: () => box.replaceChildren() }, I18n.t("cancel"))));
      form.onsubmit = async event => {
        event.preventDefault();
        try {
          handling.set(a.id, await api(`/api/alerts/${a.id}/${name}`, { method: "POST", body: { note: note.value } }));
          draw();
        } catch (e) { error.textContent = e.message; }
      };
      box.replaceChildren(form);
    } }, I18n.t(name));
    const actions = acts() && h.state !== "resolved"
      ? App.el("div", { class: "steps" }, h.state === "open" ? step("acknowledge", false) : null, step("resolve", true)) : null;
    return App.el("li", { class: "card", "data-id": a.id, "data-state": h.state },
      App.el("div", {}, App.el("strong", {}, App.rule(a.rule)), " · ", `${a.site} · ${a.devices.join(", ")}`),
      App.el("div", { class: "muted" }, App.time(a.start), " · ", App.el("span", { class: `badge ${h.state}`, t: `alert.${h.state}` }, I18n.t(`alert.${h.state}`))),
      h.acknowledgedBy ? App.el("div", { class: "muted" }, I18n.t("by", App.time(h.acknowledgedAt), h.acknowledgedBy)) : null,
      h.resolvedBy ? App.el("div", { class: "muted" }, `${I18n.t("by", App.time(h.resolvedAt), h.resolvedBy)} · ${h.note ?? ""}`) : null,
      actions, box);
  }));
  $("conflicts").replaceChildren(...(conflicts.length ? conflicts.map(c => App.el("li", {}, `${c.device} · ${App.time(c.time)}`))
    : [App.el("li", { class: "muted" }, I18n.t("none"))]));
  $("rejections").replaceChildren(...(rejections.length ? rejections.map(r => App.el("li", {}, `${r.device ?? "?"} · ${App.time(r.receivedAt)} · `,
    App.el("span", { class: "muted" }, r.reason))) : [App.el("li", { class: "muted" }, I18n.t("none"))]));
}

App.start("alerts", async () => {
  $("showResolved").addEventListener("change", draw);
  document.addEventListener("langchange", draw);
  await load();
  App.live({ alert: () => load().catch(App.fail), missed: () => load().catch(App.fail) });
});
