// The sign-in page every inspector page sends to when there is no session; back to ?next= afterwards.
I18n.add({
  title: "城管执法 · 监测线索", signIn: "登录", login: "账号", password: "密码", langSwitch: "EN",
  installer: "安装网关？打开安装人员页面。", wrong: "账号或密码错误，或账号已停用。",
}, {
  title: "Enforcement leads", signIn: "Sign in", login: "Login", password: "Password", langSwitch: "中文",
  installer: "Installing a gateway? Open the installer's page.", wrong: "Wrong login or password, or the account is disabled.",
});

// Only a path on this site, so a crafted link cannot send someone elsewhere after signing in.
const next = (() => {
  const n = new URLSearchParams(location.search).get("next") || "/leads/";
  return n.startsWith("/") && !n.startsWith("//") && !n.startsWith("/\\") ? n : "/leads/";
})();

document.addEventListener("DOMContentLoaded", () => {
  I18n.apply();
  document.getElementById("lang").onclick = () => I18n.toggle();
  document.getElementById("loginForm").onsubmit = async event => {
    event.preventDefault();
    const error = document.getElementById("loginError");
    error.textContent = "";
    try {
      await api("/api/login", { method: "POST", body: { login: document.getElementById("loginName").value.trim(), password: document.getElementById("password").value } });
      location.href = next;
    } catch (e) {
      error.textContent = e.status === 401 ? I18n.t("wrong") : e.message;
    }
  };
});
