// The week's screenings as a list: by day, then okrug, then venue (film, rating, time, address).
import { fmtDay, fmtTime, t } from "../i18n.js";
import { h } from "../driver/dom.js";
import { okrugLabel } from "./strings.js";

/**
 * Group screenings (sorted by start) by day, okrug and venue, keeping the order of first start.
 * @param {Object[]} screenings PublicScreening records
 * @returns {{date: string, okrugs: {okrug: string, venues: {venue: Object, shows: Object[]}[]}[]}[]}
 */
export function groupScreenings(screenings) {
  const days = new Map();
  for (const show of screenings) {
    const okrugs = days.get(show.date) ?? days.set(show.date, new Map()).get(show.date);
    const venues = okrugs.get(show.okrug) ?? okrugs.set(show.okrug, new Map()).get(show.okrug);
    const venue = venues.get(show.venue_id) ?? venues.set(show.venue_id, { venue: show, shows: [] }).get(show.venue_id);
    venue.shows.push(show);
  }
  return [...days].sort(([a], [b]) => a.localeCompare(b)).map(([date, okrugs]) => ({
    date,
    okrugs: [...okrugs].map(([okrug, venues]) => ({ okrug, venues: [...venues.values()] })),
  }));
}

/**
 * Render the grouped list.
 * @param {HTMLElement} container
 * @param {Object[]} screenings
 * @param {{onShowVenue: (venueId: string) => void}} handlers
 */
export function renderList(container, screenings, handlers) {
  container.replaceChildren(
    h("p", { class: "kt-count", role: "status" }, t("list.count", { count: screenings.length })),
    ...groupScreenings(screenings).map((day) => h("section", { class: "kt-day", dataset: { date: day.date } },
      h("h2", {}, fmtDay(day.date)),
      day.okrugs.map((group) => h("div", { class: "kt-okrug-group", dataset: { okrug: group.okrug } },
        h("h3", {}, okrugLabel(group.okrug)),
        group.venues.map(({ venue, shows }) => venueCard(venue, shows, handlers)))))),
  );
}

function venueCard(venue, shows, handlers) {
  return h("article", { class: "kt-venue", dataset: { venue: venue.venue_id } },
    h("div", { class: "kt-venue-head" },
      h("div", {}, h("h4", {}, venue.venue_name), h("p", { class: "kt-address" }, venue.address)),
      h("button", { type: "button", class: "kt-map-link", onclick: () => handlers.onShowVenue(venue.venue_id) }, t("list.showOnMap"))),
    h("ul", { class: "kt-shows" }, shows.map((show) => h("li", { class: "kt-screening" },
      h("time", { datetime: show.start }, `${fmtTime(show.start)}–${fmtTime(show.end)}`),
      h("span", { class: "kt-film" }, show.film_title),
      h("span", { class: "kt-rating", title: t("list.minutes", { minutes: show.runtime_min }) }, show.rating)))));
}
