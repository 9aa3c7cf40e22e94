// A tiny DOM builder shared by the driver view and the public schedule (no framework).

/**
 * Build an element: h("button", {class: "big", onclick: fn, dataset: {kind: "arrived"}}, "Text").
 * Attributes with null/undefined/false values are left out; children may be nodes, strings,
 * numbers, arrays or null (skipped).
 * @param {string} tag
 * @param {Object<string, any>} [attrs]
 * @param {...any} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "dataset") Object.assign(el.dataset, value);
    else if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "class") el.className = value;
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

/**
 * Add days to a YYYY-MM-DD day (calendar arithmetic in UTC, so no time zone can shift it).
 * @param {string} day
 * @param {number} days
 * @returns {string}
 */
export function addDays(day, days) {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/**
 * True when value is a real YYYY-MM-DD day between 2000 and 2199 (what the API accepts).
 * @param {string|null} value
 * @returns {boolean}
 */
export function isDay(value) {
  if (!value || !/^2[01]\d\d-\d\d-\d\d$/.test(value)) return false;
  return addDays(value, 0) === value;
}

/**
 * A plural form key suffix for a count in the current language: "one", "few", "many" or "other".
 * @param {number} count
 * @param {string} language "ru" or "en"
 * @returns {string}
 */
export function pluralKey(count, language) {
  return new Intl.PluralRules(language === "en" ? "en" : "ru").select(count);
}
