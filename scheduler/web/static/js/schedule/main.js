// The public schedule (/schedule, no login): a week of published screenings by day, okrug and
// venue, an okrug filter, a map, and the iCal feed. The week and okrug live in the URL
// (?week=YYYY-MM-DD&okrug=...), so a link shows the same page.
import { okrugLabel } from "./strings.js";
import { client } from "../api.js";
import { applyI18n, bindLangSwitch, fmtDay, moscowToday, t } from "../i18n.js";
import { addDays, h, isDay } from "../driver/dom.js";
import { renderList } from "./list.js";
import { createMap } from "./map.js";
import { fmtWeek, mondayOf } from "./week.js";

const api = client("public");
const LOOK_AHEAD_DAYS = 62; // the API's longest range
const $ = (id) => document.getElementById(id);

const params = new URLSearchParams(location.search);
const state = {
  week: mondayOf(isDay(params.get("week")) ? params.get("week") : moscowToday()),
  okrug: params.get("okrug") ?? "",
  okrugs: [],
  screenings: null,
  next: null,
  loading: false,
  error: null,
};

const map = createMap($("kt-map"), {
  tileUrl: document.body.dataset.tileUrl || "",
  onError: (message) => { state.error = t("list.error", { message }); render(); },
});

function query(from, to) {
  const q = new URLSearchParams({ from, to });
  if (state.okrug) q.set("okrug", state.okrug);
  return `/api/public/screenings?${q}`;
}

async function load() {
  const { week, okrug } = state;
  state.loading = true;
  state.error = null;
  state.next = null;
  render();
  try {
    const screenings = await api.get(query(week, addDays(week, 6)));
    if (week !== state.week || okrug !== state.okrug) return;
    state.screenings = screenings;
    if (!screenings.length) {
      const start = addDays(week, 7);
      const ahead = await api.get(query(start, addDays(start, LOOK_AHEAD_DAYS - 1)));
      if (week === state.week && okrug === state.okrug) state.next = ahead[0]?.date ?? null;
    }
  } catch (error) {
    if (week !== state.week || okrug !== state.okrug) return;
    state.screenings = null;
    state.error = t("list.error", { message: error.message });
  } finally {
    if (week === state.week && okrug === state.okrug) {
      state.loading = false;
      render();
      map.show(state.screenings ?? []);
    }
  }
}

async function loadOkrugs() {
  try {
    state.okrugs = (await api.get("/api/public/okrugs")).map((o) => o.okrug);
  } catch (error) {
    state.error = t("list.error", { message: error.message });
  }
  render();
}

function go(changes) {
  Object.assign(state, changes);
  const q = new URLSearchParams({ week: state.week });
  if (state.okrug) q.set("okrug", state.okrug);
  history.replaceState(null, "", `?${q}`);
  map.highlight(state.okrug);
  load();
}

function renderOkrugs() {
  const select = $("kt-okrug");
  const codes = state.okrug && !state.okrugs.includes(state.okrug) ? [...state.okrugs, state.okrug] : state.okrugs;
  select.replaceChildren(
    h("option", { value: "" }, t("filter.all")),
    ...codes.map((code) => h("option", { value: code }, okrugLabel(code))),
  );
  select.value = state.okrug;
}

function renderStatus() {
  const status = $("kt-status");
  const parts = [];
  if (state.loading) parts.push(h("p", { class: "kt-note" }, t("list.loading")));
  if (state.error) {
    parts.push(h("p", { class: "kt-note kt-error", role: "alert" }, state.error,
      h("button", { type: "button", class: "kt-btn", onclick: () => { loadOkrugs(); load(); } }, t("list.retry"))));
  }
  if (!state.loading && state.screenings && !state.screenings.length) {
    const text = state.okrug ? t("list.emptyOkrug", { okrug: okrugLabel(state.okrug) }) : t("list.empty");
    parts.push(h("div", { class: "kt-empty" }, h("p", {}, text),
      state.next
        ? h("button", { type: "button", class: "kt-btn kt-primary", id: "kt-next-shows", onclick: () => go({ week: mondayOf(state.next) }) },
          t("list.nextFound", { day: fmtDay(state.next) }))
        : null));
  }
  status.replaceChildren(...parts);
}

function render() {
  $("kt-week-date").value = state.week;
  $("kt-week-range").textContent = fmtWeek(state.week);
  const ical = new URL("/api/public/calendar.ics", location.origin);
  if (state.okrug) ical.searchParams.set("okrug", state.okrug);
  $("kt-ical").href = ical.pathname + ical.search;
  renderOkrugs();
  renderStatus();
  const list = $("kt-list");
  if (state.screenings?.length) renderList(list, state.screenings, { onShowVenue: showVenue });
  else list.replaceChildren();
  list.setAttribute("aria-busy", String(state.loading));
}

function showVenue(venueId) {
  map.focus(venueId);
  if (window.matchMedia("(max-width: 899px)").matches) $("kt-map").scrollIntoView({ behavior: "smooth", block: "center" });
}

function wire() {
  $("kt-week-prev").addEventListener("click", () => go({ week: addDays(state.week, -7) }));
  $("kt-week-next").addEventListener("click", () => go({ week: addDays(state.week, 7) }));
  $("kt-week-this").addEventListener("click", () => go({ week: mondayOf(moscowToday()) }));
  $("kt-week-date").addEventListener("change", (event) => {
    if (isDay(event.target.value)) go({ week: mondayOf(event.target.value) });
  });
  $("kt-week-date").addEventListener("click", (event) => {
    try { event.target.showPicker(); } catch { /* the browser opens its own picker */ }
  });
  $("kt-okrug").addEventListener("change", (event) => go({ okrug: event.target.value }));
  window.addEventListener("langchange", render);
}

applyI18n();
bindLangSwitch(document.querySelector("[data-lang-switch]"));
wire();
map.highlight(state.okrug);
loadOkrugs();
load();
