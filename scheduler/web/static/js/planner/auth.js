// Sign-in for planners and admins (drivers are sent to /driver); the user's name in the header.
import { t } from "/static/js/i18n.js";
import { busy } from "./dom.js";
import { describe } from "./notify.js";

const ROLES = new Set(["planner", "admin"]);
const EXPIRED = "kt.planner.expired";

/**
 * Whether a user may use the workspace.
 * @param {{role: string}} user
 * @returns {boolean}
 */
export function mayPlan(user) {
  return ROLES.has(user.role);
}

/**
 * Show the user's name and role in the header.
 * @param {HTMLElement} el
 * @param {{name: string, role: string}|null} user
 */
export function showUser(el, user) {
  el.hidden = !user;
  const role = user ? t(`auth.role.${user.role}`) : "";
  el.textContent = !user ? "" : role.toLowerCase() === user.name.toLowerCase() ? user.name : `${user.name} · ${role}`;
}

/**
 * Wire the sign-in form: on success `onSignedIn(user)`; errors appear under the form.
 * @param {HTMLFormElement} form
 * @param {HTMLElement} errorLine
 * @param {*} api the planner's API client
 * @param {(user: Object) => void} onSignedIn
 */
export function bindLogin(form, errorLine, api, onSignedIn) {
  const say = (message) => { errorLine.textContent = message; errorLine.hidden = !message; };
  if (sessionStorage.getItem(EXPIRED)) {
    sessionStorage.removeItem(EXPIRED);
    say(t("auth.expired"));
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    busy(button, async () => {
      say("");
      const user = await api.login(form.elements.username.value.trim(), form.elements.password.value);
      if (!mayPlan(user)) {
        await api.logout();
        say(t("auth.not_planner"));
        return;
      }
      form.elements.password.value = "";
      onSignedIn(user);
    }, (error) => say(error.status === 401 ? t("auth.failed") : describe(error)));
  });
}

/** Remember that the session ended, so the sign-in form says so after the reload. */
export function markExpired() {
  sessionStorage.setItem(EXPIRED, "1");
}
