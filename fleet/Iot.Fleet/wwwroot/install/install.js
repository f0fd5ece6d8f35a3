// The installer's page: sign in, give the gateway Wi-Fi from its label's hotspot, claim it by its label, bind it to a
// site, watch the commissioning checklist pass and sign it off. Works on a phone; talks only to the fleet's API. It opens
// without signal too (sw.js keeps its files on the phone); a claim made then waits in the outbox.
I18n.add({
  title: "安装网关",
  step1: "1 · 扫描或输入认领码", scan: "扫描标签", code: "认领码（见标签）", codeHint: "XXXX-XXXX-XX",
  step2: "2 · 选择点位", existingSite: "已有点位", siteHint: "输入点位编号或名称", createSite: "新建点位",
  siteId: "点位编号", kind: "类型", fume: "餐饮（油烟）", noise: "工地（噪声）", dust: "工地（扬尘）", siteName: "名称",
  lat: "纬度", lon: "经度", here: "使用当前位置", grid: "网格", hours: "营业时间", profile: "标准档",
  claim: "认领网关", step3: "3 · 现场验证", live: "检查清单会自动刷新。", note: "备注（可选）", photo: "安装照片（可选）",
  sign: "签署调试记录", done: "调试完成，点位开始产生执法线索。", pass: "通过", fail: "未通过", pending: "等待中",
  noCamera: "无法打开摄像头，请拍摄标签照片或手动输入认领码。", badQr: "这不是网关标签的二维码。", chooseSite: "请选择或新建点位。",
  labelPhoto: "或拍摄标签照片", noQrInPhoto: "照片中未找到二维码：请靠近标签、对准后重拍。",
  outboxTitle: "等待发送（{0}）", outboxHint: "暂无信号：恢复网络后按顺序自动发送。", queuedClaim: "认领网关（认领码 {0}）",
  queuedSignOff: "签署网关 {0} 的调试记录", queuedAt: "{0} 记录", refusedQueued: "“{0}”未被接受：{1}",
  fromLabel: "来自网关 {0} 的标签", badHours: "营业时间写成 10:00-14:00;17:00-22:00（可写多段）",
  wifiTitle: "给网关接入 Wi-Fi（无需数据线）",
  wifi1: "给网关通电。尚未连过网络的网关会自动打开设置热点；否则按住盖内按钮 5 秒。",
  wifi2: "用手机相机扫描标签上的小 Wi-Fi 二维码，或连接 IOT-… 网络并输入标签上印的热点密码。",
  wifi3: "网关的页面会自动打开（若没有，请打开 http://192.168.4.1/）：核对设备编号，填写现场 Wi-Fi 名称和密码。",
  wifi4: "页面显示“已连接”后手机会离开热点：回到这里继续（没有信号时认领会先存在手机上）。",
  wifiQr: "这是标签上的 Wi-Fi 二维码：请用手机相机扫描它来连接网关的热点。认领请扫描大的二维码。",
  offline: "暂无信号：本页从手机保存的副本打开。认领会先存在手机上，恢复信号后自动发送。点位列表需要信号：请输入已有点位的编号或新建点位。",
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
  pass: "pass", fail: "fail", pending: "waiting", noCamera: "The camera cannot be opened; take a photo of the label or type the claim code.",
  outboxTitle: "Waiting to send ({0})", outboxHint: "No signal: these are sent by themselves, in this order, when the phone is back online.",
  queuedClaim: "Claim of the gateway with code {0}", queuedSignOff: "Sign-off of gateway {0}", queuedAt: "made at {0}",
  refusedQueued: "“{0}” was not accepted: {1}",
  badQr: "That QR code is not a gateway label.", labelPhoto: "Or take a photo of the label", noQrInPhoto: "No QR code found in the photo: go closer to the label and take it again.",
  chooseSite: "Choose a site or create one.",
  fromLabel: "from the label of gateway {0}", badHours: "Write business hours as 10:00-14:00;17:00-22:00 (one span or several)",
  wifiTitle: "Give the gateway Wi-Fi (no cable)",
  wifi1: "Power the gateway. One that knows no network opens its setup hotspot by itself; otherwise hold the button inside the lid for 5 s.",
  wifi2: "Scan the small Wi-Fi QR code on the label with the phone's camera, or join the network IOT-… with the hotspot password printed on the label.",
  wifi3: "The gateway's page opens by itself (if not, open http://192.168.4.1/): check the device id, enter the site's Wi-Fi name and password.",
  wifi4: "When it says \"Joined\", the phone leaves the hotspot: carry on here (without signal the claim waits on the phone).",
  wifiQr: "That is the label's Wi-Fi code: scan it with the phone's camera to join the gateway's hotspot. To claim, scan the large QR code.",
  offline: "No signal: this page was opened from the phone's copy. A claim waits on the phone and goes when the signal returns. The site list needs signal: type an existing site's id or create a new site.",
  own_credentials: "Connected with its own credentials", clock_synced: "Clock synchronised", channels: "Every channel present and plausible",
  signal: "Signal strength", store_drained: "Stored records sent",
});

const $ = id => document.getElementById(id);
const show = (id, on = true) => $(id).classList.toggle("hidden", !on);
let device = null, polling = null, signOffQueued = false, labelDevice = null;
// Which gateway's label the code came from, in the language on screen.
const showFromLabel = () => { $("fromLabel").textContent = labelDevice ? I18n.t("fromLabel", labelDevice) : ""; };
const toLogin = () => { location.href = `/login.html?next=${encodeURIComponent(location.pathname + location.search)}`; };

document.addEventListener("DOMContentLoaded", async () => {
  I18n.apply();
  $("lang").onclick = () => I18n.toggle();
  document.addEventListener("langchange", () => { renderOutbox(); showFromLabel(); if (device) refresh(); });
  $("scan").onclick = scan;
  $("labelPhoto").onchange = readLabelPhoto;
  $("newSite").onchange = e => show("siteForm", e.target.checked);
  $("locate").onclick = locate;
  $("claimButton").onclick = claim;
  $("signButton").onclick = signOff;
  // The page's files stay on the phone, so it opens again without signal (sw.js).
  navigator.serviceWorker?.register("/install/sw.js", { scope: "/install/" }).catch(() => {});
  const resume = new URLSearchParams(location.search).get("device");
  try {
    await api("/api/me");
  } catch (e) {
    // One sign-in page for everyone; it brings the installer back here.
    if (e.status === 401) return toLogin();
    // No answer at all: no signal. The page goes on from the phone's copy; what is made waits in the outbox.
    if (!(e instanceof TypeError)) { show("claim"); $("claimError").textContent = e.message; return; }
    show("offline");
  }
  try {
    resume ? watch(resume) : await start();
  } catch (e) { $("claimError").textContent = e.message; }
  // What waited on the phone since the signal went goes now (or when it comes back).
  Outbox.start({ sent: queuedSent, refused: queuedRefused, changed: renderOutbox, signIn: toLogin });
});

// The requests waiting on the phone, in the order they go.
const describe = item => item.kind === "claim" ? I18n.t("queuedClaim", item.subject) : I18n.t("queuedSignOff", item.subject);
async function renderOutbox() {
  const items = await Outbox.waiting();
  $("outboxTitle").textContent = I18n.t("outboxTitle", items.length);
  $("outboxList").replaceChildren(...items.map(item => {
    const li = Object.assign(document.createElement("li"), { className: "queued" });
    li.dataset.kind = item.kind;
    const at = new Date(item.at).toLocaleTimeString(I18n.lang === "zh" ? "zh-CN" : "en-GB", { hour: "2-digit", minute: "2-digit" });
    li.append(Object.assign(document.createElement("span"), { className: "badge pending", textContent: I18n.t("pending") }),
      Object.assign(document.createElement("div"), { textContent: describe(item) }),
      Object.assign(document.createElement("div"), { className: "muted", textContent: I18n.t("queuedAt", at) }));
    return li;
  }));
  show("outbox", items.length > 0 || $("outboxError").textContent !== "");
  $("claimButton").disabled = items.some(i => i.kind === "claim");
  // A sign-off of this gateway that waits (also one from before the page was opened again) is not offered twice.
  signOffQueued = items.some(i => i.kind === "signOff" && i.subject === device);
  if (signOffQueued) show("signOff", false);
}

// A waiting request reached the fleet: the page goes on as if it had been answered at once.
function queuedSent(item, answer) {
  if (item.kind === "claim" && !device) claimed(answer);
  if (item.kind === "signOff" && item.subject === device) signedOff();
}

// The fleet refused a request that waited (the code was used meanwhile, the checklist no longer passes …): say so.
function queuedRefused(item, e) {
  $("outboxError").textContent = I18n.t("refusedQueued", describe(item), e.message);
  if (item.kind === "signOff" && item.subject === device) { signOffQueued = false; refresh(); }
}

async function start() {
  show("claim");
  // Opened from a label's link: the claim code is in the address.
  const label = new URLSearchParams(location.search);
  if (label.get("c")) {
    $("code").value = label.get("c").toUpperCase();
    labelDevice = label.get("d");
    showFromLabel();
  }
  let sites, profiles;
  try {
    sites = await apiAll("/api/sites");
    profiles = await apiAll("/api/profiles");
  } catch (e) {
    // Without signal there is no list to offer: an existing site's id is typed, a new site takes the default profile.
    if (e instanceof TypeError) { show("offline"); return; }
    throw e;
  }
  $("siteList").replaceChildren(...sites.map(s => Object.assign(document.createElement("option"), { value: s.id, label: `${s.id} · ${s.name}` })));
  // Profiles are data: offer the ones the fleet has, not a list written into the page.
  $("profile").replaceChildren(...profiles.map(p => Object.assign(document.createElement("option"),
    { value: p.id, textContent: `${p.id} · ${p.current.name}`, selected: p.id === "default" })));
}

// What a label's QR holds: a link to this page (`/install/?d={device}&c={code}`, what labels print now) or the older
// `iotclaim:{device}?c={code}`, as { device, code }; null for any other QR.
function labelOf(text) {
  try {
    const link = new URL(text.trim());
    if (/^https?:$/.test(link.protocol) && link.pathname === "/install/" && link.searchParams.get("c"))
      return { device: link.searchParams.get("d"), code: link.searchParams.get("c").toUpperCase() };
  } catch { /* not a link */ }
  const match = /^iotclaim:([A-Z0-9-]+)\?c=([A-Z0-9-]+)$/i.exec(text.trim());
  return match ? { device: match[1].toUpperCase(), code: match[2].toUpperCase() } : null;
}

// A label read by the camera or from a photo fills in the claim code, as opening its link would.
function useLabel(text) {
  // The label's smaller QR joins the gateway's hotspot (WIFI:T:WPA;S:…;P:…;;): the camera app does that, not this page.
  if (/^WIFI:/i.test(text.trim())) { $("claimError").textContent = I18n.t("wifiQr"); return; }
  const label = labelOf(text);
  if (!label) { $("claimError").textContent = I18n.t("badQr"); return; }
  $("claimError").textContent = "";
  $("code").value = label.code;
  labelDevice = label.device;
  showFromLabel();
}

// Opening hours as typed: one span or several ("10:00-14:00;17:00-22:00", also with , ； or spaces between, and – ~ 至 to
// join), as the fleet's list of spans; null when a span cannot be read.
function parseHours(text) {
  const spans = text.split(/[;,，；\s]+/).filter(Boolean);
  const hours = spans.map(span => /^(\d{1,2}):(\d{2})[-–~至到](\d{1,2}):(\d{2})$/.exec(span))
    .map(m => m && { from: `${m[1].padStart(2, "0")}:${m[2]}`, to: `${m[3].padStart(2, "0")}:${m[4]}` });
  return hours.every(Boolean) ? hours : null;
}

// QR codes in a picture (a video frame, a photo): the browser's own BarcodeDetector where there is one (Chrome on
// Android), else jsQR (vendored in /assets/vendor/jsqr) on the picture drawn to a canvas: iOS Safari and WeChat have none.
// A label carries two codes, the claim link and the hotspot's Wi-Fi code (WIFI:…): the claim is read when both are in view.
const wifiCode = text => /^WIFI:/i.test(text ?? "");
const qrReader = () => {
  if ("BarcodeDetector" in window) {
    const detector = new BarcodeDetector({ formats: ["qr_code"] });
    return async picture => {
      const codes = await detector.detect(picture).catch(() => []);
      return (codes.find(c => !wifiCode(c.rawValue)) ?? codes[0])?.rawValue ?? null;
    };
  }
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  return async (picture, width, height, maxSide, inverted = false) => {
    const scale = Math.min(1, maxSide / Math.max(width, height));
    canvas.width = Math.round(width * scale); canvas.height = Math.round(height * scale);
    context.drawImage(picture, 0, 0, canvas.width, canvas.height);
    // Labels print black on white; a photo may also be of a light-on-dark copy, a camera frame is tried as it is (faster).
    const read = () => jsQR(context.getImageData(0, 0, canvas.width, canvas.height).data, canvas.width, canvas.height,
      { inversionAttempts: inverted ? "attemptBoth" : "dontInvert" });
    const first = read();
    if (!first || !wifiCode(first.data)) return first?.data ?? null;
    // jsQR reads one code: white out the Wi-Fi code it found and look again for the claim code beside it.
    const { topLeftCorner: a, topRightCorner: b, bottomRightCorner: c, bottomLeftCorner: d } = first.location;
    const grow = Math.hypot(b.x - a.x, b.y - a.y) / 6; // past the finder patterns' edges
    const [minX, maxX] = [Math.min(a.x, b.x, c.x, d.x) - grow, Math.max(a.x, b.x, c.x, d.x) + grow];
    const [minY, maxY] = [Math.min(a.y, b.y, c.y, d.y) - grow, Math.max(a.y, b.y, c.y, d.y) + grow];
    context.fillStyle = "#fff";
    context.fillRect(minX, minY, maxX - minX, maxY - minY);
    return read()?.data ?? first.data;
  };
};

// The camera, frame by frame until a QR code is read; a phone without a usable camera gets the photo or the typed code.
async function scan() {
  $("claimError").textContent = "";
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
  } catch { $("claimError").textContent = I18n.t("noCamera"); return; }
  const video = $("camera");
  video.srcObject = stream; show("camera"); await video.play();
  const read = qrReader();
  const stop = () => { stream.getTracks().forEach(t => t.stop()); show("camera", false); };
  const tick = async () => {
    if (!stream.active) return;
    const text = video.videoWidth ? await read(video, video.videoWidth, video.videoHeight, 640) : null;
    if (!text) return setTimeout(tick, 150); // jsQR on a phone: a few frames a second is enough and spares the battery
    stop();
    useLabel(text);
  };
  tick();
}

// A photo of the label works on every phone: the camera app takes it, the page reads it (small first, then finer).
async function readLabelPhoto(e) {
  const file = e.target.files[0];
  if (!file) return;
  $("claimError").textContent = "";
  try {
    const picture = await pictureOf(file);
    const read = qrReader();
    const text = await read(picture, picture.width, picture.height, 1024, true) ?? await read(picture, picture.width, picture.height, 2400, true);
    if (text) useLabel(text); else $("claimError").textContent = I18n.t("noQrInPhoto");
  } catch { $("claimError").textContent = I18n.t("noQrInPhoto"); }
  e.target.value = "";
}

// The photo as something a canvas can draw; a data: URL where createImageBitmap is missing (the policy allows no blob: images).
async function pictureOf(file) {
  if (window.createImageBitmap) return createImageBitmap(file);
  const url = await new Promise(resolve => { const r = new FileReader(); r.onload = () => resolve(r.result); r.readAsDataURL(file); });
  const image = new Image();
  image.src = url;
  await image.decode();
  return image;
}

function locate() {
  navigator.geolocation?.getCurrentPosition(p => { $("lat").value = p.coords.latitude.toFixed(6); $("lon").value = p.coords.longitude.toFixed(6); });
}

async function claim() {
  $("claimError").textContent = "";
  const body = { claimCode: $("code").value };
  if ($("newSite").checked) {
    const hours = parseHours($("hours").value);
    if (!hours) { $("claimError").textContent = I18n.t("badHours"); return; }
    body.site = {
      id: $("siteId").value.trim().toUpperCase(), name: $("siteName").value.trim(), kind: $("siteKind").value,
      lat: parseFloat($("lat").value), lon: parseFloat($("lon").value), grid: $("grid").value.trim() || undefined,
      businessHours: hours.length ? hours : undefined, profile: $("profile").value,
    };
  } else if ($("siteSearch").value.trim()) {
    body.siteId = $("siteSearch").value.trim();
  } else { $("claimError").textContent = I18n.t("chooseSite"); return; }
  try {
    const sent = await Outbox.post("claim", "/api/claims", body, body.claimCode.trim().toUpperCase());
    if (sent.answer) claimed(sent.answer);
  } catch (e) { $("claimError").textContent = e.message; }
}

function claimed(result) {
  history.replaceState(null, "", `?device=${encodeURIComponent(result.deviceId)}`);
  watch(result.deviceId);
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
    show("signOff", report.complete && !signOffQueued && $("done").classList.contains("hidden"));
  } catch (e) {
    // No signal: the last checklist stays on screen until the next refresh gets through.
    if (!(e instanceof TypeError)) $("signError").textContent = e.message;
  }
}

async function signOff() {
  $("signError").textContent = "";
  const file = $("photo").files[0];
  const photo = file ? await new Promise(resolve => { const r = new FileReader(); r.onload = () => resolve(r.result); r.readAsDataURL(file); }) : undefined;
  try {
    const sent = await Outbox.post("signOff", `/api/devices/${encodeURIComponent(device)}/commissioning`, { note: $("note").value || undefined, photo }, device);
    if (sent.answer) signedOff();
    else { signOffQueued = true; show("signOff", false); }
  } catch (e) { $("signError").textContent = e.message; }
}

function signedOff() {
  clearInterval(polling);
  signOffQueued = false;
  show("signOff", false); show("done");
}
