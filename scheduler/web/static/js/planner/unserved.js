// The venues a plan version leaves out: a list with the reason in words, and for the one
// picked the check's message, what might make it fit (from the reason and the venue's data),
// and the venue's facts from the catalogue.
import { fmtDay, fmtTime, t } from "/static/js/i18n.js";
import { h } from "./dom.js";
import { reasonLabel } from "./views-strings.js";

const views = new WeakMap(); // el -> {plan, ctx, selected}
const venueCache = new Map(); // venue id -> Promise<venue>

/**
 * Draw (or re-draw) the unserved venues of a plan version into `el`.
 * @param {HTMLElement} el the container section
 * @param {object} plan GET /api/plans/{id}
 * @param {{api, plan, season, showPlan: Function, notify: Function}} ctx
 */
export function renderUnserved(el, plan, ctx) {
  let view = views.get(el);
  if (!view) {
    view = { selected: null };
    views.set(el, view);
    window.addEventListener("langchange", () => renderUnserved(el, view.plan, view.ctx));
  }
  Object.assign(view, { plan, ctx });
  if (plan.id !== view.planId) venueCache.clear();
  view.planId = plan.id;
  el.classList.add("pv-unserved");
  el.dataset.planId = plan.id;
  const items = [...plan.unserved].sort((a, b) => a.reason.localeCompare(b.reason) || a.name.localeCompare(b.name));
  if (!items.some((u) => u.venue_id === view.selected)) view.selected = null;
  const head = h("div", { class: "pv-head" }, h("h2", {}, t("un.title")),
    items.length ? h("span", { class: "pv-count" }, t("un.count", { n: items.length })) : null);
  if (!items.length) {
    el.replaceChildren(head, h("p", { class: "pv-empty" }, t("un.none")));
    return;
  }
  const details = h("div", { class: "un-details", "aria-live": "polite" });
  const list = h("ul", { class: "un-list" }, items.map((u) => h("li", {},
    h("button", {
      type: "button", class: "un-item", dataset: { venue: u.venue_id, reason: u.reason },
      "aria-pressed": String(u.venue_id === view.selected),
      onclick: (event) => {
        view.selected = u.venue_id;
        for (const b of list.querySelectorAll(".un-item")) b.setAttribute("aria-pressed", String(b === event.currentTarget));
        showDetails(details, u, view);
      },
    }, h("span", { class: "un-name" }, u.name), h("span", { class: "pv-muted" }, `${u.okrug} · ${reasonLabel(u.reason)}`)))));
  const counts = new Map();
  for (const u of items) counts.set(u.reason, (counts.get(u.reason) || 0) + 1);
  const summary = h("p", { class: "un-summary" }, [...counts].map(([reason, n]) => h("span", {}, `${reasonLabel(reason)}: ${n}`)));
  el.replaceChildren(head, summary, h("div", { class: "un-body" }, list, details));
  const picked = items.find((u) => u.venue_id === view.selected);
  if (picked) showDetails(details, picked, view);
  else details.replaceChildren(h("p", { class: "pv-muted" }, t("un.pick")));
}

function venueData(ctx, id) {
  if (!venueCache.has(id)) {
    const request = ctx.api.get(`/api/venues/${encodeURIComponent(id)}`);
    request.catch(() => venueCache.delete(id));
    venueCache.set(id, request);
  }
  return venueCache.get(id);
}

async function showDetails(box, un, view) {
  const { ctx } = view;
  const facts = h("div", { class: "un-facts" }, h("p", { class: "pv-muted" }, t("pv.loading")));
  const hintList = h("ul", { class: "un-hints" }, hints(un, null, view.plan).map((text) => h("li", {}, text)));
  box.replaceChildren(
    h("h3", {}, un.name),
    h("p", { class: "pv-muted" }, un.okrug),
    h("p", { class: "un-reason" }, h("strong", {}, `${t("un.reason")}: `), reasonLabel(un.reason)),
    h("p", {}, h("span", { class: "pv-muted" }, `${t("un.solverSays")}: `), h("span", { class: "un-message" }, un.message)),
    h("h4", {}, t("un.mightHelp")), hintList,
    h("h4", {}, t("un.facts")), facts);
  try {
    const venue = await venueData(ctx, un.venue_id);
    if (view.selected !== un.venue_id) return;
    hintList.replaceChildren(...hints(un, venue, view.plan).map((text) => h("li", {}, text)));
    facts.replaceChildren(venueFacts(venue, view.plan));
  } catch (error) {
    if (view.selected !== un.venue_id) return;
    facts.replaceChildren(h("p", { class: "pv-error" }, t("un.factsFailed", { message: error.message })));
  }
}

const hours = (venue) => venue.hours.map((w) => `${w.start}–${w.end}`).join(", ");
/** The silence limit as a clock time: from the plan's routes (the version's own rules). */
const silenceTime = (plan) => (plan.routes[0] ? fmtTime(plan.routes[0].silence_start) : "23:00");

function venueFacts(venue, plan) {
  const items = [
    t("un.hours", { hours: hours(venue) }),
    venue.allowed_dates ? t("un.allowedDates", { dates: venue.allowed_dates.map(fmtDay).join(", ") }) : t("un.anyDate"),
    t("un.maxRating", { rating: venue.max_rating }),
    t("un.value", { seats: venue.audience_seats, priority: venue.priority }),
  ];
  if (venue.residential) items.push(t("un.residential", { time: silenceTime(plan) }));
  if (venue.inside_ttk) items.push(t("un.insideTtk"));
  return h("ul", {}, items.map((text) => h("li", {}, text)));
}

/**
 * What might make an unserved venue fit, from its reason code, the check's message (which
 * names the rules that closed the window and the film length) and, once loaded, the venue.
 * Modest on purpose: each line is a direction to try, not a promise.
 */
function hints(un, venue, plan) {
  const message = un.message || "";
  const found = [];
  switch (un.reason) {
    case "no_allowed_date":
      found.push(t("hint.anotherDate"));
      break;
    case "no_truck_on_dates":
      found.push(t("hint.truckOnDates"));
      break;
    case "no_film":
      found.push(t("hint.film", { rating: venue?.max_rating || /max (\d+\+)/.exec(message)?.[1] || "—" }));
      if (venue?.excluded_film_ids?.length) found.push(t("hint.excludedFilms", { n: venue.excluded_film_ids.length }));
      break;
    case "no_time_window": {
      if (message.includes("darkness")) found.push(t("hint.ledTruck"), t("hint.laterDate"));
      const film = /(\d+)-min film/.exec(message);
      if (film) found.push(t("hint.shorterFilm", { n: film[1] }));
      if (message.includes("opening hours")) found.push(t("hint.longerWindow", { hours: venue ? hours(venue) : "—" }));
      if (message.includes("silence") && venue?.residential !== false) found.push(t("hint.earlierShow", { time: silenceTime(plan) }));
      if (message.includes("TTK")) found.push(t("hint.ttkPass"));
      if (!found.length) found.push(t("hint.anotherDate"));
      break;
    }
    case "outside_shift":
      found.push(t("hint.longerShift"), t("hint.nearerDepot"));
      break;
    case "driver_breaks":
      found.push(t("hint.nearerDepot"));
      break;
    case "trucks_busy":
      found.push(t("hint.lighterDay"), t("hint.moreTrucks"));
      if (venue) found.push(t("hint.priority", { seats: venue.audience_seats, priority: venue.priority }));
      break;
    case "not_worth_travel":
      found.push(t("hint.nearerDepot"));
      if (venue) found.push(t("hint.priority", { seats: venue.audience_seats, priority: venue.priority }));
      break;
    case "not_planned":
      found.push(t("hint.longerSolve"));
      break;
    default:
      break;
  }
  return found;
}
