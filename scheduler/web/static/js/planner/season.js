// The season picker in the sidebar; the last season picked is remembered.
import { t } from "/static/js/i18n.js";
import { h, fill, fmtDate } from "./dom.js";

const KEY = "kt.planner.season";

/**
 * The season id picked last time (or null).
 * @returns {number|null}
 */
export function rememberedSeason() {
  const id = Number(localStorage.getItem(KEY));
  return Number.isInteger(id) && id > 0 ? id : null;
}

/**
 * Wire the season <select> and its info line.
 * @param {HTMLSelectElement} select
 * @param {HTMLElement} info
 * @param {(id: number) => void} onPick called when the planner picks another season
 * @returns {{show: (seasons: Object[], current: Object|null) => void}} show lists the seasons
 *   (GET /api/seasons) with `current` selected
 */
export function seasonPicker(select, info, onPick) {
  select.addEventListener("change", () => {
    localStorage.setItem(KEY, select.value);
    onPick(Number(select.value));
  });

  function show(seasons, current) {
    fill(select, seasons.map((s) => h("option", { value: s.id }, s.name)));
    select.disabled = seasons.length === 0;
    if (current) {
      select.value = String(current.id);
      select.title = current.name;
      localStorage.setItem(KEY, String(current.id));
    }
    info.textContent = current
      ? t("season.info", { start: fmtDate(current.start), end: fmtDate(current.end), venues: current.venues, trucks: current.trucks, films: current.films })
      : t("season.none");
  }

  return { show };
}
