// Toasts: short messages in the corner (errors stay until closed), and API errors in words.
import { t } from "/static/js/i18n.js";
import { h } from "./dom.js";

const LIFETIME_MS = { info: 5000, success: 5000, error: 0 };

/**
 * Show a toast. kind: "info" | "success" | "error" (errors stay until closed).
 * @param {string} message
 * @param {"info"|"success"|"error"} [kind]
 */
export function notify(message, kind = "info") {
  const box = document.getElementById("toasts");
  const close = h("button", { type: "button", class: "toast-close", "aria-label": t("common.close") }, "×");
  const toast = h("div", { class: `toast toast-${kind}`, role: kind === "error" ? "alert" : "status" },
    h("span", {}, message), close);
  close.addEventListener("click", () => toast.remove());
  box.append(toast);
  const lifetime = LIFETIME_MS[kind] ?? 5000;
  if (lifetime) setTimeout(() => toast.remove(), lifetime);
}

/**
 * An error in words for people: 403 as "not allowed", otherwise the API's message.
 * @param {Error & {status?: number}} error
 * @returns {string}
 */
export function describe(error) {
  if (error && error.status === 403) return t("common.forbidden");
  return (error && error.message) || String(error);
}

/**
 * Show any error as an error toast.
 * @param {Error} error
 */
export function notifyError(error) {
  notify(t("common.error", { message: describe(error) }), "error");
}
