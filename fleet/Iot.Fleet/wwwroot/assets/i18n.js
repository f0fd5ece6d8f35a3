// Page texts in Simplified Chinese and English. Each page registers its strings; elements carry
// data-t="key" (text) or data-t-placeholder="key". The choice is kept in localStorage.
const I18n = (() => {
  const strings = { zh: {}, en: {} };
  // Chinese first: the bureaus' staff read Chinese; English is one tap away.
  let lang = localStorage.getItem("lang") || "zh";
  const t = (key, ...args) => {
    let s = strings[lang][key] ?? strings.en[key] ?? key;
    args.forEach((a, i) => { s = s.replace(`{${i}}`, a); });
    return s;
  };
  const apply = (root = document) => {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    root.querySelectorAll("[data-t]").forEach(e => { e.textContent = t(e.dataset.t); });
    root.querySelectorAll("[data-t-placeholder]").forEach(e => { e.placeholder = t(e.dataset.tPlaceholder); });
  };
  return {
    add(zh, en) { Object.assign(strings.zh, zh); Object.assign(strings.en, en); },
    t, apply,
    get lang() { return lang; },
    toggle() { lang = lang === "zh" ? "en" : "zh"; localStorage.setItem("lang", lang); apply(); document.dispatchEvent(new Event("langchange")); },
  };
})();

// Calls the fleet's API with the session cookie; problem details become an Error with the server's words.
async function api(path, options = {}) {
  const response = await fetch(path, {
    credentials: "same-origin",
    ...options,
    headers: { ...(options.body ? { "Content-Type": "application/json" } : {}), ...options.headers },
    body: options.body ? JSON.stringify(options.body) : undefined,
  });
  const text = await response.text();
  const body = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const error = new Error(body?.detail || body?.title || `${response.status} ${response.statusText}`);
    error.status = response.status;
    error.body = body;
    throw error;
  }
  return body;
}

// Every item of a paged list (GET answers {items, next, total}): follows `next` until the last page.
async function apiAll(path, pageSize = 1000) {
  const items = [];
  let cursor = null;
  do {
    const url = new URL(path, location.origin);
    url.searchParams.set("limit", pageSize);
    if (cursor) url.searchParams.set("cursor", cursor);
    const page = await api(url.pathname + url.search);
    items.push(...page.items);
    cursor = page.next;
  } while (cursor);
  return items;
}
