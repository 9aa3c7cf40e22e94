// Small DOM and formatting helpers of the planner workspace.
import { lang, t } from "/static/js/i18n.js";

/**
 * Make an element: h("button", {class: "btn", onclick: fn, dataset: {id: 1}}, "text", child).
 * Attributes whose value is null, undefined or false are left out; true sets an empty attribute.
 * @param {string} tag
 * @param {Object<string, *>} [attrs]
 * @param {...(Node|string|number|null|undefined|Array)} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(el.dataset, value);
    else if (name === "value" || name === "checked" || name === "selected") el[name] = value;
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

/**
 * An element whose text the language switch re-translates in place (data-i18n = key).
 * @param {string} tag
 * @param {string} key i18n key
 * @param {Object<string, *>} [attrs]
 * @returns {HTMLElement}
 */
export function tx(tag, key, attrs = {}) {
  return h(tag, { ...attrs, dataset: { ...attrs.dataset, i18n: key } }, t(key));
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

/**
 * Replace an element's children.
 * @param {Element} el
 * @param {...(Node|string|null|undefined|Array)} children
 * @returns {Element} the element
 */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

const locale = () => (lang() === "ru" ? "ru-RU" : "en-GB");

/**
 * A number for people in the current language ("5 000", "22,6").
 * @param {number|null|undefined} value
 * @param {number} [digits] fraction digits at most
 * @returns {string}
 */
export function fmtNum(value, digits = 0) {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(value);
}

/**
 * A share 0..1 as a percentage ("85 %").
 * @param {number} share
 * @returns {string}
 */
export function fmtPercent(share) {
  return new Intl.NumberFormat(locale(), { style: "percent", maximumFractionDigits: 0 }).format(share);
}

/**
 * A date and time in Moscow ("26.11.2026, 18:00").
 * @param {string} iso
 * @returns {string}
 */
export function fmtDateTime(iso) {
  return new Intl.DateTimeFormat(locale(), {
    day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit",
    timeZone: "Europe/Moscow", hourCycle: "h23",
  }).format(new Date(iso));
}

/**
 * A short YYYY-MM-DD date for people ("01.07.2026").
 * @param {string} day
 * @returns {string}
 */
export function fmtDate(day) {
  const [y, m, d] = day.split("-").map(Number);
  return new Intl.DateTimeFormat(locale(), { day: "2-digit", month: "2-digit", year: "numeric", timeZone: "UTC" })
    .format(new Date(Date.UTC(y, m - 1, d)));
}

/**
 * Run an async action from a button: the button is disabled meanwhile, and an error goes to
 * `onError` (never an unhandled rejection).
 * @param {HTMLButtonElement|null} button
 * @param {() => Promise<*>} action
 * @param {(error: Error) => void} onError
 * @returns {Promise<void>}
 */
export async function busy(button, action, onError) {
  if (button) button.disabled = true;
  try {
    await action();
  } catch (error) {
    onError(error);
  } finally {
    if (button) button.disabled = false;
  }
}

/**
 * Save a Blob as a file through a temporary <a download>.
 * @param {Blob} blob
 * @param {string} name
 */
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = h("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
