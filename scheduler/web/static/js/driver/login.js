// The driver's login form (the token is remembered by api.js until logout or expiry).
import { t } from "../i18n.js";
import { h } from "./dom.js";

/**
 * Show the login form; resolves once a driver has logged in, with their user record.
 * Other roles are logged out again with a message: this view is for drivers only.
 * @param {HTMLElement} container
 * @param {ReturnType<import("../api.js").client>} api
 * @param {string} [message] shown above the form (e.g. "your session ended")
 * @returns {Promise<Object>} the UserOut of the driver
 */
export function showLogin(container, api, message = "") {
  return new Promise((resolve) => {
    const name = h("input", { id: "kt-login-name", name: "username", autocomplete: "username", required: true, autocapitalize: "none", spellcheck: "false" });
    const password = h("input", { id: "kt-login-password", name: "password", type: "password", autocomplete: "current-password", required: true });
    const error = h("p", { class: "kt-note kt-error", role: "alert", hidden: !message }, message);
    const submit = h("button", { type: "submit", class: "kt-btn kt-primary", dataset: { i18n: "login.submit" } }, t("login.submit"));
    const form = h("form", { class: "kt-login", novalidate: true },
      h("h2", { dataset: { i18n: "login.title" } }, t("login.title")),
      error,
      h("label", { for: "kt-login-name", dataset: { i18n: "login.name" } }, t("login.name")), name,
      h("label", { for: "kt-login-password", dataset: { i18n: "login.password" } }, t("login.password")), password,
      submit);
    const fail = (text) => { error.textContent = text; error.hidden = false; };
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!name.value.trim() || !password.value) { fail(`${t("login.name")} / ${t("login.password")}?`); return; }
      if (!navigator.onLine) { fail(t("login.offline")); return; }
      submit.disabled = true;
      submit.textContent = t("login.busy");
      try {
        const user = await api.login(name.value.trim(), password.value);
        if (user.role !== "driver") {
          await api.logout();
          fail(t("login.notDriver"));
        } else {
          resolve(user);
        }
      } catch (err) {
        fail(err instanceof TypeError ? t("login.offline") : err.message);
      } finally {
        submit.disabled = false;
        submit.textContent = t("login.submit");
      }
    });
    container.replaceChildren(form);
    name.focus();
  });
}
