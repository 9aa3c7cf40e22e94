// The result of a re-plan (POST /api/plans/{id}/replan): the new version with buttons to
// open it, both versions' KPIs side by side with the change, the stop changes, and the
// screenings lost with their reasons (the English message as detail), and what became of the
// venues that asked for a screening (served at a time, or left out with the reason).
import { t, fmtDay, fmtTime } from "/static/js/i18n.js";
import { h, fill, busy, fmtNum } from "./dom.js";
import { badges } from "./planbar.js";
import { notifyError } from "./notify.js";
import { dropLabel } from "./live-strings.js";
import { reasonLabel } from "./views-strings.js";

/** KPI rows: key, label key, how to read the number from {plan, kpis}, digits, which way is better. */
const METRICS = [
  ["venues_served", "kpi.venues", (s) => s.kpis.venues_served, 0, 1],
  ["screenings", "kpi.screenings", (s) => s.kpis.screenings, 0, 1],
  ["stops", "versions.stops", (s) => s.kpis.stops, 0, 1],
  ["expected_audience", "kpi.audience", (s) => s.kpis.expected_audience, 0, 1],
  ["okrugs_covered", "kpi.okrugs", (s) => s.kpis.okrugs_covered, 0, 1],
  ["value", "live.value", (s) => s.plan.stats.value, 1, 1],
  ["driving_h", "live.driving_h", (s) => s.kpis.driving_h, 1, 0],
  ["violations", "versions.violations", (s) => s.plan.violation_count, 0, -1],
];
const CHANGE_KINDS = ["dropped", "added", "moved", "retimed"];

function signed(value, digits) {
  const rounded = Number(value.toFixed(digits));
  if (!rounded) return "0";
  return `${rounded > 0 ? "+" : "−"}${fmtNum(Math.abs(rounded), digits)}`;
}

/**
 * Sort the API's stop changes into added / dropped / moved / re-timed (by their `change`,
 * else by which sides they have and where).
 * @param {Object[]} changes ReplanChange items
 * @returns {Object<string, Object[]>}
 */
export function sortChanges(changes) {
  const sorted = Object.fromEntries(CHANGE_KINDS.map((kind) => [kind, []]));
  for (const change of changes) {
    if (change.change in sorted) sorted[change.change].push(change);
    else if (change.a && !change.b) sorted.dropped.push(change);
    else if (!change.a && change.b) sorted.added.push(change);
    else if (change.a.truck_id !== change.b.truck_id || change.a.position !== change.b.position) sorted.moved.push(change);
    else sorted.retimed.push(change);
  }
  return sorted;
}

function kpiTable(result) {
  const before = { plan: result.base, kpis: result.kpis.before };
  const after = { plan: result.plan, kpis: result.kpis.after };
  const row = ([key, label, read, digits, better]) => {
    const delta = read(after) - read(before);
    const tone = !Number(delta.toFixed(digits)) || !better ? "" : delta * better > 0 ? " good" : " bad";
    return h("tr", { dataset: { metric: key } },
      h("th", { scope: "row" }, t(label)),
      h("td", { class: "num", dataset: { side: "before", value: read(before) } }, fmtNum(read(before), digits)),
      h("td", { class: "num", dataset: { side: "after", value: read(after) } }, fmtNum(read(after), digits)),
      h("td", { class: `num delta${tone}`, dataset: { side: "delta" } }, signed(delta, digits)));
  };
  return h("div", { class: "table-wrap live-kpis" }, h("table", { class: "data compare-table", id: "live-kpis", "aria-label": t("live.kpis_title") },
    h("thead", {}, h("tr", {},
      h("th", { scope: "col" }, t("live.metric")),
      h("th", { scope: "col", class: "num" }, t("live.before", { number: result.base.number })),
      h("th", { scope: "col", class: "num" }, t("live.after", { number: result.plan.number })),
      h("th", { scope: "col", class: "num" }, t("live.delta")))),
    h("tbody", {}, METRICS.map(row))));
}

function changeLists(result, truckName, day) {
  const sorted = sortChanges(result.changes);
  const when = (d) => (d === day ? "" : ` · ${fmtDay(d)}`);
  const place = (p) => (p ? `${truckName(p.truck_id)} ${fmtTime(p.arrival)}` : "");
  const item = (c) => h("li", {}, h("strong", {}, c.venue_name), when(c.day), ": ",
    c.a && c.b ? `${place(c.a)} → ${place(c.b)}` : place(c.a ?? c.b));
  const list = (kind) => h("section", { class: "change-list", dataset: { change: kind } },
    h("h4", {}, t(`live.changes.${kind}`, { count: sorted[kind].length })),
    sorted[kind].length ? h("ul", {}, sorted[kind].map(item)) : h("p", { class: "empty" }, t("live.none")));
  return h("div", { class: "live-changes" },
    h("h4", { class: "live-subtitle" }, t("live.changes_title")),
    result.changes.length ? h("div", { class: "change-grid" }, CHANGE_KINDS.map(list)) : h("p", { class: "message message-ok" }, t("live.no_changes")));
}

function droppedTable(result, truckName, day) {
  const title = h("h4", { class: "live-subtitle", id: "live-dropped-title" }, t("live.dropped_title", { count: result.dropped.length }));
  if (!result.dropped.length) return h("div", { class: "live-dropped" }, title, h("p", { class: "message message-ok" }, t("live.dropped_none")));
  const rows = result.dropped.map((drop) => h("tr", { dataset: { reason: drop.reason, venue: drop.venue_id } },
    h("td", {}, h("span", { class: "two-lines" }, drop.venue_name, h("small", {}, truckName(drop.truck_id)))),
    h("td", { class: "num" }, h("span", { class: "two-lines" }, fmtTime(drop.start), drop.day === day ? null : h("small", {}, fmtDay(drop.day)))),
    h("td", {}, h("span", { class: "cell-text", title: drop.film_title }, drop.film_title)),
    h("td", { class: "live-reason" }, h("strong", {}, dropLabel(drop.reason)), h("small", { lang: "en" }, drop.message))));
  return h("div", { class: "live-dropped" }, title, h("div", { class: "table-wrap" },
    h("table", { class: "data", id: "live-dropped", "aria-labelledby": "live-dropped-title" },
      h("thead", {}, h("tr", {}, ["venue", "start", "film", "reason"].map((key) =>
        h("th", { scope: "col", class: key === "start" ? "num" : null }, t(`live.col.${key}`))))),
      h("tbody", {}, rows))));
}

/**
 * Where a requested venue is in the new version: its stop (that day first), or why it is
 * left out ("unknown" without the version's plan).
 * @param {string} id the venue's id
 * @param {string} day the re-planned day
 * @param {Object|null} outcome the new version (PlanRead)
 * @returns {{outcome: string, name?: string, route?: Object, stop?: Object, unserved?: Object}}
 */
export function venueFate(id, day, outcome) {
  if (!outcome) return { outcome: "unknown" };
  const routes = [...outcome.routes].sort((a, b) => (b.day === day) - (a.day === day));
  for (const route of routes) {
    const stop = route.stops.find((s) => s.venue_id === id);
    if (stop) return { outcome: "served", name: stop.venue_name, route, stop };
  }
  const unserved = outcome.unserved.find((u) => u.venue_id === id);
  return unserved ? { outcome: "unserved", name: unserved.name, unserved } : { outcome: "absent" };
}

function requestedItem(asked, result, outcome, truckName) {
  const id = asked.venue?.id ?? asked.venue_id;
  const day = result.situation.day;
  const fate = venueFate(id, day, outcome);
  const head = [h("strong", {}, asked.venue?.name ?? fate.name ?? id), asked.venue ? h("span", { class: "live-new" }, t("live.requested_new")) : null];
  let detail;
  if (fate.outcome === "served") {
    detail = h("span", { class: "live-fate" }, t("live.requested_served",
      { truck: truckName(fate.route.truck_id), time: fmtTime(fate.stop.arrival) }), fate.route.day === day ? "" : ` · ${fmtDay(fate.route.day)}`);
  } else if (fate.outcome === "unserved") {
    detail = h("span", { class: "live-fate live-reason" }, h("strong", {}, t("live.requested_left", { reason: reasonLabel(fate.unserved.reason) })),
      h("small", { lang: "en" }, fate.unserved.message));
  } else detail = h("span", { class: "live-fate" }, t(`live.requested_${fate.outcome}`));
  return h("li", { dataset: { venue: id, outcome: fate.outcome } }, h("span", { class: "live-requested-name" }, head), detail);
}

function requestedList(result, outcome, truckName) {
  const asked = (result.situation?.disruptions ?? []).filter((item) => item.kind === "venue_requested");
  if (!asked.length) return null;
  return h("div", { class: "live-requested" },
    h("h4", { class: "live-subtitle", id: "live-requested-title" }, t("live.requested_title", { count: asked.length })),
    h("ul", { id: "live-requested", "aria-labelledby": "live-requested-title" }, asked.map((item) => requestedItem(item, result, outcome, truckName))));
}

function situationLine(situation) {
  if (!situation) return null;
  const events = situation.disruptions.map((item) => t(`live.kind.${item.kind}`));
  return t("live.result_situation", {
    day: fmtDay(situation.day), now: fmtTime(situation.now),
    events: events.length ? events.join(", ") : t("live.none"),
  });
}

/**
 * Fill `el` with a re-plan's result (or nothing when there is none yet).
 * @param {HTMLElement} el
 * @param {Object|null} result the ReplanResult of the API
 * @param {{trucks: {id: string, name: string}[], day: string, outcome: Object|null,
 *   open: (tab: string) => Promise<void>}} ctx outcome: the new version's plan (PlanRead) when venues were asked for
 */
export function renderResult(el, result, { trucks, day, outcome, open }) {
  if (!result) return fill(el, h("div", { class: "live-placeholder" }, h("p", {}, t("live.placeholder"))));
  const names = new Map(trucks.map((x) => [x.id, x.name]));
  const truckName = (id) => names.get(id) ?? id;
  const button = (tab, label, id) => {
    const b = h("button", { type: "button", class: "btn btn-small", id }, t(label));
    b.addEventListener("click", () => busy(b, () => open(tab), notifyError));
    return b;
  };
  const plan = result.plan;
  const meta = t("live.result_meta", { base: result.base.number, seconds: fmtNum(result.seconds, 2), kept: fmtNum(result.kept) });
  const title = plan.published ? "live.result_published" : result.published ? "live.result_was_published" : "live.result_whatif";
  fill(el,
    h("div", { class: "card live-summary", dataset: { planId: plan.id, published: String(result.published) } },
      h("div", { class: "live-summary-head" },
        h("h3", { id: "live-result-title" }, t(title, { number: plan.number })),
        badges(plan)),
      h("p", { class: "live-meta", id: "live-situation" }, situationLine(result.situation)),
      h("p", { class: "live-meta", id: "live-meta", dataset: { seconds: result.seconds } }, meta),
      h("div", { class: "live-open" }, button("plan", "live.open", "live-open-plan"), button("versions", "live.in_versions", "live-open-versions"))),
    requestedList(result, outcome, truckName),
    kpiTable(result),
    droppedTable(result, truckName, day),
    changeLists(result, truckName, day));
}
