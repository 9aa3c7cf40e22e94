// Russian first, English second: t(key, params), the language switch, and data-i18n markup.
const dictionaries = { ru: {}, en: {} };
const KEY = "kt.lang";

/** Add strings: register({ru: {...}, en: {...}}). Later keys win. */
export function register(strings) {
  for (const lang of Object.keys(dictionaries)) Object.assign(dictionaries[lang], strings[lang] || {});
}

/** The current language: "ru" (default) or "en". */
export function lang() {
  const stored = localStorage.getItem(KEY);
  return stored === "en" ? "en" : "ru";
}

/** Translate a key; {name} placeholders are filled from params. Unknown keys show the key. */
export function t(key, params = {}) {
  const text = dictionaries[lang()][key] ?? dictionaries.ru[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in params ? String(params[name]) : `{${name}}`));
}

/** Translate every [data-i18n], [data-i18n-placeholder], [data-i18n-title] under root. */
export function applyI18n(root = document) {
  document.documentElement.lang = lang();
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of root.querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
}

/** Switch language, re-translate the page and tell listeners (pages re-render their lists). */
export function setLang(value) {
  localStorage.setItem(KEY, value === "en" ? "en" : "ru");
  applyI18n();
  window.dispatchEvent(new CustomEvent("langchange", { detail: lang() }));
}

/** Wire a <button data-lang-switch> (or any element) to toggle ru/en. */
export function bindLangSwitch(el) {
  const label = () => { el.textContent = lang() === "ru" ? "EN" : "RU"; };
  label();
  el.addEventListener("click", () => { setLang(lang() === "ru" ? "en" : "ru"); label(); });
}

const ZONE = "Europe/Moscow";

/** "21:30" in Moscow time. */
export function fmtTime(iso) {
  return new Intl.DateTimeFormat(lang() === "ru" ? "ru-RU" : "en-GB", {
    hour: "2-digit", minute: "2-digit", timeZone: ZONE, hourCycle: "h23",
  }).format(new Date(iso));
}

/** "пт, 3 июля" / "Fri 3 July" for a YYYY-MM-DD day. */
export function fmtDay(day) {
  const [y, m, d] = day.split("-").map(Number);
  return new Intl.DateTimeFormat(lang() === "ru" ? "ru-RU" : "en-GB", {
    weekday: "short", day: "numeric", month: "long", timeZone: "UTC",
  }).format(new Date(Date.UTC(y, m - 1, d)));
}

/** Today's date YYYY-MM-DD in Moscow. */
export function moscowToday() {
  return new Intl.DateTimeFormat("en-CA", { timeZone: ZONE }).format(new Date());
}
