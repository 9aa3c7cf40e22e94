// Weeks of the public schedule: Monday to Sunday, days as YYYY-MM-DD.
import { addDays } from "../driver/dom.js";
import { lang } from "../i18n.js";

/**
 * The Monday of the week a day belongs to.
 * @param {string} day YYYY-MM-DD
 * @returns {string}
 */
export function mondayOf(day) {
  const [y, m, d] = day.split("-").map(Number);
  const weekday = (new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7; // Monday 0
  return addDays(day, -weekday);
}

/**
 * The seven days of a week, Monday first.
 * @param {string} monday
 * @returns {string[]}
 */
export function weekDays(monday) {
  return Array.from({ length: 7 }, (_, i) => addDays(monday, i));
}

/**
 * "29 июня — 5 июля 2026" (or "29 June — 5 July 2026") for the week starting on monday.
 * @param {string} monday
 * @returns {string}
 */
export function fmtWeek(monday) {
  const sunday = addDays(monday, 6);
  const format = new Intl.DateTimeFormat(lang() === "en" ? "en-GB" : "ru-RU", { day: "numeric", month: "long", timeZone: "UTC" });
  const at = (day) => new Date(`${day}T12:00:00Z`);
  return `${format.format(at(monday))} — ${format.format(at(sunday))} ${sunday.slice(0, 4)}`;
}
