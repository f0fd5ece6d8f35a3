// The installer's page: sign in, claim a gateway by its label, bind it to a site, watch the
// commissioning checklist pass and sign it off. Works on a phone; talks only to the fleet's API.
I18n.add({
  title: "安装网关",
  step1: "1 · 扫描或输入认领码", scan: "扫描标签", code: "认领码（见标签）", codeHint: "XXXX-XXXX-XX",
  step2: "2 · 选择点位", existingSite: "已有点位", siteHint: "输入点位编号或名称", createSite: "新建点位",
  siteId: "点位编号", kind: "类型", fume: "餐饮（油烟）", noise: "工地（噪声）", dust: "工地（扬尘）", siteName: "名称",
  lat: "纬度", lon: "经度", here: "使用当前位置", grid: "网格", hours: "营业时间", profile: "标准档",
  claim: "认领网关", step3: "3 · 现场验证", live: "检查清单会自动刷新。", note: "备注（可选）", photo: "安装照片（可选）",
  sign: "签署调试记录", done: "调试完成，点位开始产生执法线索。", pass: "通过", fail: "未通过", pending: "等待中",
  noCamera: "此浏览器不能扫码，请手动输入认领码。", badQr: "这不是网关标签的二维码。", chooseSite: "请选择或新建点位。",
  // What to do about a check that has not passed; the fleet's own detail (values, dBm …) follows in small type.
  "own_credentials.pending": "网关尚未上线或尚未换用自身凭据：检查电源和网络", "clock_synced.pending": "尚未收到网关状态",
  "clock_synced.fail": "网关时钟未同步：检查能否访问 NTP 服务器", "channels.pending": "最近 10 分钟没有数据记录",
  "channels.fail": "缺少通道或数据无效（预热、传感器故障、防拆开关……）", "signal.pending": "尚未报告信号强度",
  "signal.fail": "信号太弱：调整天线位置或增加无线接入点", "store_drained.pending": "等待网关上传缓存中的记录",
  own_credentials: "已用自身凭据连接", clock_synced: "时钟已同步", channels: "各通道数据齐全且合理", signal: "信号强度", store_drained: "缓存记录已上传",
}, {
  title: "Install a gateway",
  step1: "1 · Scan or type the claim code", scan: "Scan the label", code: "Claim code (on the label)", codeHint: "XXXX-XXXX-XX",
  step2: "2 · Choose the site", existingSite: "Existing site", siteHint: "site id or name", createSite: "Create a new site",
  siteId: "Site id", kind: "Kind", fume: "Restaurant (fume)", noise: "Construction (noise)", dust: "Construction (dust)", siteName: "Name",
  lat: "Latitude", lon: "Longitude", here: "Use my location", grid: "Grid cell", hours: "Business hours", profile: "Rule profile",
  claim: "Claim the gateway", step3: "3 · Prove it works", live: "The checklist refreshes by itself.", note: "Note (optional)",
  photo: "Photo of the installation (optional)", sign: "Sign off the commissioning", done: "Commissioned. The site now raises enforcement leads.",
  pass: "pass", fail: "fail", pending: "waiting", noCamera: "This browser cannot scan; type the claim code.", badQr: "That QR code is not a gateway label.",
  chooseSite: "Choose a site or create one.",
  own_credentials: "Connected with its own credentials", clock_synced: "Clock synchronised", channels: "Every channel present and plausible",
  signal: "Signal strength", store_drained: "Stored records sent",
});

const $ = id => document.getElementById(id);
const show = (id, on = true) => $(id).classList.toggle("hidden", !on);
let device = null, polling = null;

document.addEventListener("DOMContentLoaded", async () => {
  I18n.apply();
  $("lang").onclick = () => I18n.toggle();
  document.addEventListener("langchange", () => device && refresh());
  $("scan").onclick = scan;
  $("newSite").onchange = e => show("siteForm", e.target.checked);
  $("locate").onclick = locate;
  $("claimButton").onclick = claim;
  $("signButton").onclick = signOff;
  const resume = new URLSearchParams(location.search).get("device");
  try {
    await api("/api/me");
    resume ? watch(resume) : await start();
  } catch (e) {
    // One sign-in page for everyone; it brings the installer back here.
    if (e.status === 401) location.href = `/login.html?next=${encodeURIComponent(location.pathname + location.search)}`;
    else $("claimError").textContent = e.message;
  }
});

async function start() {
  show("claim");
  const sites = await apiAll("/api/sites");
  $("siteList").replaceChildren(...sites.map(s => Object.assign(document.createElement("option"), { value: s.id, label: `${s.id} · ${s.name}` })));
  // Profiles are data: offer the ones the fleet has, not a list written into the page.
  const profiles = await apiAll("/api/profiles");
  $("profile").replaceChildren(...profiles.map(p => Object.assign(document.createElement("option"),
    { value: p.id, textContent: `${p.id} · ${p.current.name}`, selected: p.id === "default" })));
}

// Labels carry `iotclaim:{device}?c={code}`; Chrome on Android decodes QR codes itself (BarcodeDetector).
async function scan() {
  if (!("BarcodeDetector" in window)) { $("claimError").textContent = I18n.t("noCamera"); return; }
  const detector = new BarcodeDetector({ formats: ["qr_code"] });
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
  const video = $("camera");
  video.srcObject = stream; show("camera"); await video.play();
  const stop = () => { stream.getTracks().forEach(t => t.stop()); show("camera", false); };
  const tick = async () => {
    const [code] = await detector.detect(video).catch(() => []);
    if (!code) return requestAnimationFrame(tick);
    stop();
    const match = /^iotclaim:([A-Z0-9-]+)\?c=([A-Z0-9-]+)$/i.exec(code.rawValue.trim());
    if (match) $("code").value = match[2].toUpperCase(); else $("claimError").textContent = I18n.t("badQr");
  };
  tick();
}

function locate() {
  navigator.geolocation?.getCurrentPosition(p => { $("lat").value = p.coords.latitude.toFixed(6); $("lon").value = p.coords.longitude.toFixed(6); });
}

async function claim() {
  $("claimError").textContent = "";
  const body = { claimCode: $("code").value };
  if ($("newSite").checked) {
    const [from, to] = $("hours").value.split("-").map(s => s.trim());
    body.site = {
      id: $("siteId").value.trim().toUpperCase(), name: $("siteName").value.trim(), kind: $("siteKind").value,
      lat: parseFloat($("lat").value), lon: parseFloat($("lon").value), grid: $("grid").value.trim() || undefined,
      businessHours: from && to ? [{ from, to }] : undefined, profile: $("profile").value,
    };
  } else if ($("siteSearch").value.trim()) {
    body.siteId = $("siteSearch").value.trim();
  } else { $("claimError").textContent = I18n.t("chooseSite"); return; }
  try {
    const result = await api("/api/claims", { method: "POST", body });
    history.replaceState(null, "", `?device=${encodeURIComponent(result.deviceId)}`);
    watch(result.deviceId);
  } catch (e) { $("claimError").textContent = e.message; }
}

function watch(id) {
  device = id;
  show("claim", false); show("check"); $("deviceId").textContent = id;
  refresh();
  polling = setInterval(refresh, 3000);
}

async function refresh() {
  try {
    const report = await api(`/api/devices/${encodeURIComponent(device)}/commissioning`);
    $("checks").replaceChildren(...report.checks.map(c => {
      const li = document.createElement("li");
      const badge = Object.assign(document.createElement("span"), { className: `badge ${c.status}`, textContent: I18n.t(c.status) });
      const text = document.createElement("div");
      text.append(Object.assign(document.createElement("div"), { textContent: I18n.t(c.name) === c.name ? c.label : I18n.t(c.name) }));
      const hint = I18n.lang === "zh" && c.status !== "pass" ? I18n.t(`${c.name}.${c.status}`) : null;
      if (hint && hint !== `${c.name}.${c.status}`) text.append(Object.assign(document.createElement("div"), { textContent: hint }));
      if (c.detail) text.append(Object.assign(document.createElement("div"), { className: "muted", textContent: c.detail }));
      li.append(badge, text);
      return li;
    }));
    show("signOff", report.complete && $("done").classList.contains("hidden"));
  } catch (e) { $("signError").textContent = e.message; }
}

async function signOff() {
  $("signError").textContent = "";
  const file = $("photo").files[0];
  const photo = file ? await new Promise(resolve => { const r = new FileReader(); r.onload = () => resolve(r.result); r.readAsDataURL(file); }) : undefined;
  try {
    await api(`/api/devices/${encodeURIComponent(device)}/commissioning`, { method: "POST", body: { note: $("note").value || undefined, photo } });
    clearInterval(polling);
    show("signOff", false); show("done");
  } catch (e) { $("signError").textContent = e.message; }
}
