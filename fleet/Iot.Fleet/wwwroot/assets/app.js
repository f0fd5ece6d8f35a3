// What every inspector page shares: the nav bar with the language toggle and sign-out, the sign-in guard,
// time formatting in the bureau's zone; the domain's words (rules, case states, steps) come from the fleet's
// glossary as /assets/words.js. Load after i18n.js and words.js; a page calls App.start(async me => { … }) once its DOM is ready.
I18n.add({
  brand: "执法线索", navLeads: "线索", navSites: "点位与设备", navReport: "月报", navComplaints: "投诉举报", navAlerts: "告警", navCampaigns: "固件升级", signOut: "退出", langSwitch: "EN",
  loading: "加载中…", none: "无", yes: "是", no: "否", live: "实时", offline: "已断开，重连中…",
  dueIn: "距到场时限 {0}", overdueBy: "已超时 {0}", respondedIn: "{0} 到场", respondedLate: "{0} 到场（超时）",
  backfilled: "补传", reviewBy: "复核截止 {0}", reviewOverdueBy: "复核已超时 {0}", reviewed: "已复核", reviewedLate: "已复核（超时）",
  minutes: "{0} 分钟", grid: "网格", squad: "中队", site: "点位",
  permitted: "有证明/报备", noPermit: "无证明",
}, {
  brand: "Enforcement leads", navLeads: "Leads", navSites: "Sites & devices", navReport: "Monthly report", navComplaints: "Complaints", navAlerts: "Alerts", navCampaigns: "OTA updates", signOut: "Sign out", langSwitch: "中文",
  loading: "Loading…", none: "none", yes: "yes", no: "no", live: "live", offline: "disconnected, reconnecting…",
  dueIn: "on site within {0}", overdueBy: "overdue by {0}", respondedIn: "on site after {0}", respondedLate: "on site after {0} (late)",
  backfilled: "backfilled", reviewBy: "review by {0}", reviewOverdueBy: "review overdue by {0}", reviewed: "reviewed", reviewedLate: "reviewed (late)",
  minutes: "{0} min", grid: "Grid", squad: "Squad", site: "Site",
  permitted: "permitted", noPermit: "no permit",
});

const App = (() => {
  const el = (tag, props = {}, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") e.className = v;
      else if (k === "t") e.dataset.t = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else if (k in e && typeof v !== "string") e[k] = v;
      else e.setAttribute(k, v === true ? "" : v);
    }
    e.append(...children.flat().filter(c => c !== null && c !== undefined && c !== false));
    return e;
  };

  // The bureau works in China Standard Time whatever the phone's setting; the report counts hours in it too.
  const zone = "Asia/Shanghai";
  const locale = () => (I18n.lang === "zh" ? "zh-CN" : "en-GB");
  const time = iso => iso ? new Date(iso).toLocaleString(locale(), { timeZone: zone, month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" }) : "–";
  const clock = iso => iso ? new Date(iso).toLocaleTimeString(locale(), { timeZone: zone, hour: "2-digit", minute: "2-digit" }) : "–";
  const duration = ms => {
    const s = Math.max(0, Math.round(ms / 1000));
    const m = Math.floor(s / 60);
    return m >= 60 ? `${Math.floor(m / 60)}:${String(m % 60).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}` : `${m}:${String(s % 60).padStart(2, "0")}`;
  };
  const rule = id => I18n.t(`rule.${id}`) === `rule.${id}` ? id : I18n.t(`rule.${id}`);
  const status = s => I18n.t(`status.${s}`) === `status.${s}` ? s : I18n.t(`status.${s}`);
  const num = v => (typeof v === "number" ? (Math.abs(v) >= 100 ? v.toFixed(0) : +v.toFixed(2)).toString() : "–");

  // The 30-minute response target of a case as words and a class: still running, missed, or met. A backfilled (late)
  // lead has no arrival target but a review deadline (Cases/ClosedLoopOptions.ReviewHours): acknowledged or closed by then.
  const timer = c => {
    if (!c) return { text: "", cls: "" };
    if (c.late) {
      if (c.status === "confirmed" || c.status === "dismissed") return { text: "", cls: "" };
      if (c.status !== "open") return c.reviewOverdue ? { text: I18n.t("reviewedLate"), cls: "late" } : { text: I18n.t("reviewed"), cls: "met" };
      const left = new Date(c.reviewDue) - Date.now();
      return left >= 0 ? { text: I18n.t("reviewBy", time(c.reviewDue)), cls: "running" } : { text: I18n.t("reviewOverdueBy", duration(-left)), cls: "late" };
    }
    if (c.respondedAt) {
      const took = duration(new Date(c.respondedAt) - new Date(c.raisedAt));
      return c.overdue ? { text: I18n.t("respondedLate", took), cls: "late" } : { text: I18n.t("respondedIn", took), cls: "met" };
    }
    if (c.status === "confirmed" || c.status === "dismissed") return { text: "", cls: "" };
    const left = new Date(c.responseDue) - Date.now();
    return left >= 0 ? { text: I18n.t("dueIn", duration(left)), cls: left < 5 * 60000 ? "soon" : "running" } : { text: I18n.t("overdueBy", duration(-left)), cls: "late" };
  };

  // A night lead says whether an approved night-work permit covered it: permitted work over the limit, or night work
  // without a permit. Other leads carry no badge.
  const permit = lead => lead.night
    ? el("span", { class: `pill ${lead.permit ? "permitted" : "unpermitted"}`, "data-permit": lead.permit ?? "none", t: lead.permit ? "permitted" : "noPermit" },
      I18n.t(lead.permit ? "permitted" : "noPermit"))
    : null;

  let me = null;
  let current = null;
  const link = (href, key, name) => el("a", { href, t: key, class: current === name ? "active" : null }, I18n.t(key));
  const nav = active => {
    current = active;
    const header = el("header", { class: "bar" },
      el("a", { href: "/leads/", class: "brand", t: "brand" }, I18n.t("brand")),
      el("nav", {}, link("/leads/", "navLeads", "leads"), link("/sites/", "navSites", "sites"), link("/report/", "navReport", "report"), link("/engineer/alerts/", "navAlerts", "alerts")),
      el("span", { class: "who", id: "who" }),
      el("button", { type: "button", id: "lang", t: "langSwitch", onclick: () => I18n.toggle() }, I18n.t("langSwitch")),
      el("button", { type: "button", id: "signOut", t: "signOut", onclick: signOut }, I18n.t("signOut")));
    document.body.prepend(header);
  };

  async function signOut() {
    try { await api("/api/logout", { method: "POST" }); } finally { location.href = "/login.html"; }
  }

  const toLogin = () => { location.href = `/login.html?next=${encodeURIComponent(location.pathname + location.search)}`; };

  /// Draws the nav, checks the session (no session: to the sign-in page) and runs the page.
  async function start(active, page) {
    nav(active);
    I18n.apply();
    try {
      me = await api("/api/me");
    } catch (e) {
      if (e.status === 401) return toLogin();
      throw e;
    }
    // Installers read no leads (People/Roles.LeadReading): their page is the installer's.
    if (me.role === "installer") { location.href = "/install/"; return; }
    document.getElementById("who").textContent = me.name || me.login;
    // Complaints name people: inspectors' and admins' (Api/Roles.Complaints).
    if (me.role === "inspector" || me.role === "admin")
      document.querySelector("header.bar nav a[href='/report/']").after(link("/complaints/", "navComplaints", "complaints"));
    // OTA updates are the engineers' (Roles.Releasing); others may read the page but need no link on a phone's narrow bar.
    if (me.role === "engineer" || me.role === "admin") document.querySelector("header.bar nav").append(link("/engineer/campaigns/", "navCampaigns", "campaigns"));
    try {
      await page(me);
    } catch (e) {
      if (e.status === 401) return toLogin();
      fail(e);
    }
    I18n.apply();
  }

  const fail = e => {
    let box = document.getElementById("pageError");
    if (!box) { box = el("p", { id: "pageError", class: "error", role: "alert" }); document.querySelector("main").prepend(box); }
    box.textContent = e.message || String(e);
  };

  // Leads, alerts and case changes as they happen (server-sent events; the session cookie goes along). `missed` is called
  // when the stream cannot be trusted to be complete: the fleet dropped events this page was too slow for, or the connection
  // broke and came back (events in between went nowhere); the page then reads its lists again.
  const live = (handlers, indicator) => {
    const { missed, ...events } = handlers;
    const source = new EventSource("/api/leads/stream");
    for (const [name, handle] of Object.entries(events)) source.addEventListener(name, m => handle(JSON.parse(m.data)));
    if (missed) source.addEventListener("missed", () => missed());
    let broken = false;
    source.onopen = () => {
      if (indicator) { indicator.dataset.t = "live"; indicator.textContent = I18n.t("live"); indicator.className = "live on"; }
      if (broken && missed) missed();
      broken = false;
    };
    source.onerror = () => {
      broken = true;
      if (indicator) { indicator.dataset.t = "offline"; indicator.textContent = I18n.t("offline"); indicator.className = "live off"; }
    };
    return source;
  };

  /// Roles that may take the loop's steps (People/Roles.LeadHandling, and admin).
  const handles = () => me && (me.role === "inspector" || me.role === "admin");

  // What the fleet knows of the domain (GET /api/meta): rules with their channels and units, statuses, the states each
  // case step starts from, quality bits. The pages keep no copies; the words of rules and statuses join I18n here.
  let metaOnce = null;
  const meta = () => metaOnce ??= api("/api/meta").then(m => {
    const words = lang => Object.fromEntries([...m.rules.map(r => [`rule.${r.id}`, r.label[lang]]), ...m.statuses.map(s => [`status.${s.id}`, s.label[lang]])]);
    I18n.add(words("zh"), words("en"));
    return m;
  });

  return { el, start, fail, live, time, clock, duration, rule, status, num, timer, handles, zone, permit, meta, get me() { return me; } };
})();
