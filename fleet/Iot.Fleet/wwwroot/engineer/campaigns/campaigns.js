// The engineers' OTA campaigns (Updates/): each campaign's status, its stages' progress and every device's state, with the
// actions the campaigns API offers: create, pause, resume, abort, roll back. Statuses, device states and the health check
// are the glossary's words (words.js: campaign.*, ota.*); the fleet's English reasons are put in words here from the
// numbers. Engineers and admins act (Api/Roles.Releasing), others read. Refreshes every 5 s.
I18n.add({
  count: "{0} 个升级任务", empty: "还没有升级任务。", readOnly: "仅工程师可发起、暂停或中止升级。", newCampaign: "新建升级任务",
  release: "固件版本", targetKind: "点位类型", allKinds: "全部", grid: "网格", fromFirmware: "当前版本", anyVersion: "任意版本",
  devicesField: "指定设备（逗号分隔；留空：所有符合条件的设备）", stages: "分批比例（累计 %）", haltThreshold: "失败率超过即熔断（%）",
  rate: "每分钟最多下发（台；留空不限）", notes: "备注", create: "创建并开始", noRelease: "还没有上传固件版本。",
  pause: "暂停", resume: "继续", abort: "中止", rollback: "回退", rollbackTo: "回退到版本", previousVersion: "升级前的版本",
  confirmAbort: "中止后未下发的设备不再升级，已在升级的设备继续完成。", confirmRollback: "回退本任务已升级的设备。",
  confirm: "确认", cancel: "取消", stageOf: "第 {0} 批，共 {1} 批", rollbackOf: "回退任务 #{0}", created: "创建于 {0}",
  stageLine: "第 {0} 批（{1}%）：已升级 {2}，进行中 {3}，失败 {4}，排队 {5}，共 {6} 台", devicesHeading: "设备（{0} 台）",
  haltedWhy: "第 {0} 批 {1} 台中 {2} 台失败，超过 {3}% 的熔断阈值", completedWhy: "已升级 {0} 台，失败 {1} 台",
  abortedByEngineer: "由工程师中止", abortedForRollback: "因回退而中止", pausedByEngineer: "由工程师暂停",
  skippedAlready: "已是该版本", skippedBusy: "已在升级任务 #{0} 中", from: "原版本 {0}", runs: "运行 {0}", reason: "原因 {0}",
  stage: "第 {0} 批",
}, {
  count: "{0} campaigns", empty: "No campaigns yet.", readOnly: "Only engineers start, pause or stop updates.", newCampaign: "New campaign",
  release: "Release", targetKind: "Site kind", allKinds: "all", grid: "Grid", fromFirmware: "Now running", anyVersion: "any version",
  devicesField: "Devices (comma separated; empty: every device that matches)", stages: "Stages (cumulative %)", haltThreshold: "Halt above failures (%)",
  rate: "Commands a minute (empty: no limit)", notes: "Notes", create: "Create and start", noRelease: "No release uploaded yet.",
  pause: "Pause", resume: "Resume", abort: "Abort", rollback: "Roll back", rollbackTo: "Roll back to", previousVersion: "the version before",
  confirmAbort: "Devices not sent the update yet will not get it; devices updating now finish.", confirmRollback: "Rolls back the devices this campaign updated.",
  confirm: "Confirm", cancel: "Cancel", stageOf: "stage {0} of {1}", rollbackOf: "rollback of #{0}", created: "created {0}",
  stageLine: "stage {0} ({1} %): {2} updated, {3} in progress, {4} failed, {5} queued of {6}", devicesHeading: "Devices ({0})",
  haltedWhy: "stage {0}: {2} of {1} devices failed, over the {3} % threshold", completedWhy: "{0} updated, {1} failed",
  abortedByEngineer: "aborted by an engineer", abortedForRollback: "aborted for a rollback", pausedByEngineer: "paused by an engineer",
  skippedAlready: "already runs this version", skippedBusy: "in active campaign #{0}", from: "was {0}", runs: "runs {0}", reason: "reason {0}",
  stage: "stage {0}",
});

const $ = id => document.getElementById(id);
const el = (...args) => App.el(...args);
let campaigns = [], releases = [];
const details = new Map();            // campaign id → its view with devices, for the campaigns whose devices are shown
const shown = new Map();              // campaign id → devices shown (true) or folded (false), as the engineer left them
const acts = () => ["engineer", "admin"].includes(App.me?.role);
const active = c => c.status === "running" || c.status === "paused";
const devicesShown = c => shown.get(c.id) ?? active(c);
const word = (prefix, code) => I18n.t(`${prefix}.${code}`) === `${prefix}.${code}` ? code : I18n.t(`${prefix}.${code}`);
const pct = share => +(share * 100).toFixed(1);
// Gateways that switched to the campaign's version (what a rollback takes back: Updates/Rollout.Rollback).
const updated = c => ["installing", "trial", "confirmed"].some(s => c.states[s] > 0);
const rolledBack = c => campaigns.some(r => r.rollbackOf === c.id && active(r));

async function load() {
  campaigns = (await apiAll("/api/campaigns")).sort((a, b) => b.id - a.id);
  const open = campaigns.filter(devicesShown);
  const views = await Promise.all(open.map(c => api(`/api/campaigns/${c.id}`)));
  details.clear();
  views.forEach(v => details.set(v.id, v));
}

// What the fleet's English status reason says, from the campaign's own numbers (the Chinese page shows no English).
function why(c) {
  if (c.status === "halted") {
    const s = c.progress[c.stage - 1];
    return s ? I18n.t("haltedWhy", s.stage, s.devices, s.failed, pct(c.spec.haltThreshold)) : c.statusReason;
  }
  if (c.status === "completed") {
    const sum = key => c.progress.reduce((n, s) => n + s[key], 0);
    return I18n.t("completedWhy", sum("succeeded"), sum("failed"));
  }
  const known = { "aborted by an engineer": "abortedByEngineer", "aborted for a rollback": "abortedForRollback", "paused by an engineer": "pausedByEngineer" };
  return c.statusReason ? (known[c.statusReason] ? I18n.t(known[c.statusReason]) : c.statusReason) : null;
}

function bar(s) {
  const w = n => `width:${s.devices ? (100 * n / s.devices).toFixed(2) : 0}%`;
  return el("div", { class: "progress", role: "img", "aria-label": I18n.t("stageLine", s.stage, s.share, s.succeeded, s.inProgress, s.failed, s.queued, s.devices) },
    el("i", { class: "ok", style: w(s.succeeded) }), el("i", { class: "go", style: w(s.inProgress) }), el("i", { class: "bad", style: w(s.failed) }));
}

function deviceLine(d) {
  const skip = d.state === "skipped" && d.reason
    ? (d.reason === "already_running" ? I18n.t("skippedAlready") : d.reason.replace(/^in active campaign (\d+)$/, (_, n) => I18n.t("skippedBusy", n)))
    : null;
  const parts = [
    d.state !== "skipped" ? I18n.t("stage", d.stage) : null,
    el("span", { class: `pill ota ${d.state}` }, word("ota", d.state) + (d.state === "downloading" && d.percent != null ? ` ${d.percent}%` : "")),
    d.health ? el("span", { class: `pill health ${d.health}` }, word("ota.health", d.health)) : null,
    d.from ? I18n.t("from", d.from) : null,
    d.running && d.running !== d.from ? I18n.t("runs", d.running) : null,
    skip ?? (d.reason ? el("span", {}, I18n.t("reason", ""), el("code", {}, d.reason)) : null),
    el("span", { class: "muted" }, App.time(d.updatedAt)),
  ].filter(Boolean);
  return el("li", { "data-device": d.device, "data-state": d.state }, el("strong", {}, d.device), ...parts.flatMap(p => [" · ", p]));
}

function draw() {
  $("count").textContent = I18n.t("count", campaigns.length);
  $("empty").classList.toggle("hidden", campaigns.length > 0);
  $("campaigns").replaceChildren(...campaigns.map(c => {
    const box = el("div", { class: "step-form" });
    // A step that needs a second look (abort, rollback) opens a small form; pause and resume go at once.
    const send = async (action, body, error) => {
      try {
        await api(`/api/campaigns/${c.id}/${action}`, { method: "POST", body: body ?? {} });
        box.replaceChildren();
        await refresh();
      } catch (e) { error.textContent = e.message; }
    };
    const error = el("p", { class: "error", role: "alert" });
    const immediate = action => el("button", { type: "button", class: action, onclick: () => send(action, null, error) }, I18n.t(action));
    const confirmed = (action, warning, extra) => el("button", { type: "button", class: action, onclick: () => {
      const fail = el("p", { class: "error", role: "alert" });
      const fields = extra?.() ?? null;
      const form = el("form", { class: action }, el("p", { class: "muted" }, I18n.t(warning)), fields?.node, fail, el("div", { class: "steps" },
        el("button", { type: "submit", class: "primary" }, I18n.t("confirm")),
        el("button", { type: "button", onclick: () => box.replaceChildren() }, I18n.t("cancel"))));
      form.onsubmit = event => { event.preventDefault(); send(action, fields?.body(), fail); };
      box.replaceChildren(form);
    } }, I18n.t(action));
    const rollbackTo = () => {
      const select = el("select", { name: "version", "aria-label": I18n.t("rollbackTo") },
        el("option", { value: "" }, I18n.t("previousVersion")),
        ...releases.filter(r => r.version !== c.version).map(r => el("option", { value: r.version }, r.version)));
      return { node: el("label", {}, I18n.t("rollbackTo"), select), body: () => (select.value ? { version: select.value } : {}) };
    };
    const actions = !acts() ? null : el("div", { class: "steps" },
      c.status === "running" ? immediate("pause") : null,
      c.status === "paused" ? immediate("resume") : null,
      active(c) ? confirmed("abort", "confirmAbort") : null,
      !active(c) && updated(c) && !rolledBack(c) ? confirmed("rollback", "confirmRollback", rollbackTo) : null);

    const view = details.get(c.id);
    const devices = el("details", { class: "devices" },
      el("summary", {}, I18n.t("devicesHeading", c.progress.reduce((n, s) => n + s.devices, 0) + (c.states.skipped ?? 0))),
      el("ul", { class: "devices" }, ...(view?.devices ?? []).map(deviceLine)));
    devices.open = devicesShown(c);
    devices.addEventListener("toggle", () => {
      if (devices.open === devicesShown(c)) return;
      shown.set(c.id, devices.open);
      if (devices.open && !details.has(c.id)) refresh().catch(App.fail);
    });
    const reason = why(c);
    return el("li", { class: "card", "data-id": c.id, "data-status": c.status },
      el("div", {}, el("strong", {}, `#${c.id} → ${c.version}`), " ", el("span", { class: `pill campaign ${c.status}` }, word("campaign", c.status))),
      el("div", { class: "muted" }, [I18n.t("stageOf", c.stage, c.stages), c.rollbackOf ? I18n.t("rollbackOf", c.rollbackOf) : null,
        I18n.t("created", App.time(c.createdAt)), c.spec.notes === `rollback of campaign ${c.rollbackOf}` ? null : c.spec.notes].filter(Boolean).join(" · ")),
      reason ? el("div", { class: "why" }, reason) : null,
      ...c.progress.map(s => el("div", { class: "stage" }, el("div", { class: "muted" },
        I18n.t("stageLine", s.stage, s.share, s.succeeded, s.inProgress, s.failed, s.queued, s.devices)), bar(s))),
      devices, actions, error, box);
  }));
}

// The kinds and releases of the form; the form itself only for those who may create.
function drawForm() {
  const kind = $("kind").value;
  $("kind").replaceChildren(el("option", { value: "" }, I18n.t("allKinds")),
    ...["noise", "dust", "fume"].map(k => el("option", { value: k }, I18n.t(`kind.${k}`))));
  $("kind").value = kind;
  const release = $("release").value;
  $("release").replaceChildren(...(releases.length
    ? [...releases].reverse().map(r => el("option", { value: r.version }, `${r.version} · ${r.target}${r.notes ? ` · ${r.notes}` : ""}`))
    : [el("option", { value: "", disabled: true }, I18n.t("noRelease"))]));
  if (release) $("release").value = release;
}

async function create(event) {
  event.preventDefault();
  $("createError").textContent = "";
  const list = v => v.split(/[,，\s]+/).map(s => s.trim()).filter(Boolean);
  const target = { siteKind: $("kind").value || null, grid: $("grid").value.trim() || null, firmware: $("firmware").value.trim() || null,
    devices: list($("devices").value) };
  const spec = { version: $("release").value, target, stages: list($("stages").value).map(Number), haltThreshold: Number($("halt").value) / 100,
    ratePerMinute: $("rate").value ? Number($("rate").value) : null, notes: $("notes").value.trim() || null };
  try {
    const made = await api("/api/campaigns", { method: "POST", body: spec });
    shown.set(made.id, true);
    $("newCampaign").open = false;
    await refresh();
  } catch (e) { $("createError").textContent = e.message; }
}

async function refresh() {
  await load();
  draw();
}

App.start("campaigns", async () => {
  releases = (await apiAll("/api/releases")).sort((a, b) => new Date(a.uploadedAt) - new Date(b.uploadedAt));
  $("newCampaign").classList.toggle("hidden", !acts());
  $("readOnly").hidden = acts();
  drawForm();
  $("createForm").addEventListener("submit", create);
  document.addEventListener("langchange", () => { drawForm(); draw(); });
  await refresh();
  // Not while an abort or a rollback waits for its confirmation: the redraw would take the form away.
  setInterval(() => { if (!document.querySelector("#campaigns form")) refresh().catch(App.fail); }, 5000);
});
