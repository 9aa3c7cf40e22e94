// The driver's day on screen: route-changed notice, summary, stop cards and the day's journal.
// Rendering only: taps go to the handlers the controller passes in.
import { fmtDay, fmtTime, lang, t } from "../i18n.js";
import { addDays, h, pluralKey } from "./dom.js";
import { stepKey } from "./progress.js";

/**
 * @typedef {Object} Handlers
 * @property {(kind: string, fields: Object) => void} onTap      post an event for a step
 * @property {(stop: Object) => void} onCannotReach
 * @property {() => void} onDismissNotice
 * @property {(seq: number) => void} onDismissEntry              forget a refused tap
 * @property {(days: number) => void} onShiftDay                 show the day before (-1) or after (1)
 */

/**
 * Render the day's content (everything below the date bar).
 * @param {HTMLElement} container
 * @param {Object} model  {date, day, loading, error, cachedAt, notice, events, steps, progress}
 * @param {Handlers} handlers
 */
export function renderContent(container, model, handlers) {
  container.replaceChildren(...contentNodes(model, handlers));
}

function contentNodes(model, handlers) {
  const { day, loading, error } = model;
  const nodes = [];
  if (model.cachedAt) nodes.push(h("p", { class: "kt-note kt-cached", role: "status" }, t("day.cached")));
  if (model.notice) nodes.push(noticeNode(model.notice, handlers));
  if (error) nodes.push(h("p", { class: "kt-note kt-error", role: "alert" }, error));
  if (loading && !day) nodes.push(h("p", { class: "kt-note", role: "status" }, t("day.loading")));
  if (!day) return nodes;
  nodes.push(summaryNode(day));
  if (!day.stops.length) {
    const text = day.plan ? t("day.noStops", { day: fmtDay(day.date) }) : t("day.noRoute", { day: fmtDay(day.date) });
    nodes.push(h("div", { class: "kt-empty" }, h("p", {}, text), h("p", {}, t("day.tryOther")),
      h("div", { class: "kt-empty-nav" },
        h("button", { type: "button", class: "kt-btn kt-secondary", "aria-label": t("day.prev"), onclick: () => handlers.onShiftDay(-1) },
          `‹ ${fmtDay(addDays(day.date, -1))}`),
        h("button", { type: "button", class: "kt-btn kt-primary", "aria-label": t("day.next"), onclick: () => handlers.onShiftDay(1) },
          `${fmtDay(addDays(day.date, 1))} ›`))));
  } else {
    if (!model.progress.next) nodes.push(h("p", { class: "kt-note kt-day-done", role: "status" }, t("day.done")));
    nodes.push(stopsNode(model, handlers));
  }
  if (day.stops.length || model.events.length) nodes.push(journalNode(model.events, handlers));
  return nodes;
}

function noticeNode(changes, handlers) {
  const items = changes.length ? changes.map(changeText) : [t("changed.none")];
  return h("section", { class: "kt-changed", role: "alert", "aria-labelledby": "kt-changed-title" },
    h("h2", { id: "kt-changed-title" }, t("changed.title")),
    h("ul", {}, items.map((text) => h("li", {}, text))),
    h("button", { type: "button", class: "kt-btn kt-secondary", onclick: handlers.onDismissNotice }, t("changed.ok")));
}

function changeText(change) {
  const times = (shows) => shows.map((s) => fmtTime(s.start)).join(", ") || "—";
  switch (change.type) {
    case "added": return t("changed.added", { name: change.name, time: fmtTime(change.time) });
    case "removed": return t("changed.removed", { name: change.name });
    case "moved": return t("changed.moved", change);
    case "arrival": return t("changed.arrival", { name: change.name, from: fmtTime(change.from), to: fmtTime(change.to) });
    default: return t("changed.screenings", { name: change.name, from: times(change.from), to: times(change.to) });
  }
}

function summaryNode(day) {
  const facts = [h("span", {}, h("b", {}, day.truck.name))];
  if (day.depot_departure) facts.push(h("span", {}, `${t("day.depart")} ${fmtTime(day.depot_departure)}`));
  if (day.depot_return) facts.push(h("span", {}, `${t("day.return")} ${fmtTime(day.depot_return)}`));
  return h("section", { class: "kt-summary" }, h("p", {}, facts));
}

function stopsNode(model, handlers) {
  const { day } = model;
  const items = [];
  const breaks = [...day.breaks];
  for (const stop of day.stops) {
    while (breaks.length && Date.parse(breaks[0].start) < Date.parse(stop.arrival)) items.push(breakNode(breaks.shift()));
    items.push(stopNode(stop, model, handlers));
  }
  items.push(...breaks.map(breakNode));
  return h("ol", { class: "kt-stops" }, items);
}

function breakNode(pause) {
  return h("li", { class: "kt-break" }, h("b", {}, t("day.break")), " ",
    t("day.breakRange", { start: fmtTime(pause.start), end: fmtTime(pause.end), minutes: pause.minutes }));
}

function stopNode(stop, model, handlers) {
  const { progress: state } = model;
  const next = state.next;
  const current = next && next.stop.venue_id === stop.venue_id;
  const skipped = state.skipped.has(stop.venue_id);
  const started = model.steps.some((s) => s.stop.venue_id === stop.venue_id && state.done.has(s.key));
  const classes = ["kt-stop", current && "kt-current", skipped && "kt-skipped"].filter(Boolean).join(" ");
  return h("li", { class: classes, dataset: { venue: stop.venue_id } },
    h("div", { class: "kt-stop-head" },
      h("span", { class: "kt-pos", "aria-label": t("stop.title", { n: stop.position }) }, stop.position),
      h("div", {},
        h("h3", {}, stop.name),
        h("p", { class: "kt-address" }, stop.address),
        skipped ? h("p", { class: "kt-badge kt-badge-bad" }, t("stop.skipped")) : null)),
    h("ul", { class: "kt-steps" }, stepRows(stop, model)),
    current ? nextButton(next, handlers) : null,
    navNode(stop),
    !skipped && !started
      ? h("button", { type: "button", class: "kt-btn kt-link", dataset: { action: "cannot-reach" },
        onclick: () => handlers.onCannotReach(stop) }, t("actions.cannotReach"))
      : null);
}

function stepRows(stop, model) {
  const { progress: state } = model;
  const range = (a, b) => `${fmtTime(a)}–${fmtTime(b)}`;
  const row = (time, label, keys, extra = null) => {
    const isNext = state.next && keys.includes(state.next.key);
    const allDone = keys.length > 0 && keys.every((k) => state.done.has(k));
    const cls = ["kt-step", isNext && "kt-next-step", allDone && "kt-done", !keys.length && "kt-plain"].filter(Boolean).join(" ");
    return h("li", { class: cls },
      h("time", {}, time),
      h("span", { class: "kt-step-label" }, label, extra),
      h("span", { class: "kt-marks" }, keys.map((k) => markNode(state.done.get(k)))));
  };
  const key = (kind, index = null) => stepKey(kind, stop.venue_id, index);
  return [
    row(fmtTime(stop.arrival), t("stop.arrival"), [key("arrived")]),
    row(range(stop.setup_start, stop.setup_end), t("stop.setup"), [key("setup_done")]),
    ...stop.screenings.map((show) => row(range(show.start, show.end), `${show.title} `,
      [key("screening_started", show.index), key("screening_finished", show.index)],
      h("span", { class: "kt-rating" }, show.rating))),
    stop.teardown_start ? row(range(stop.teardown_start, stop.departure), t("stop.teardown"), []) : null,
    row(fmtTime(stop.departure), t("stop.departure"), []),
  ];
}

function markNode(event) {
  if (!event) return null;
  return h("span", { class: `kt-mark kt-${event.status}`, title: statusText(event) },
    `${t(`mark.${event.status}`)} ${fmtTime(event.at)}`);
}

function nextButton(step, handlers) {
  const fields = { venue_id: step.stop.venue_id, screening_index: step.screening ?? undefined };
  const film = step.screening === null ? "" : step.stop.screenings[step.screening].title;
  return h("button", {
    type: "button", class: "kt-btn kt-next", dataset: { kind: step.kind },
    onclick: () => handlers.onTap(step.kind, fields),
  }, h("span", {}, t(`next.${step.kind}`)), film ? h("small", {}, film) : null);
}

function navNode(stop) {
  return h("div", { class: "kt-nav" },
    h("a", { class: "kt-btn kt-primary", href: stop.nav.yandexnavi, dataset: { nav: "yandexnavi" } }, t("stop.navigate")),
    h("a", { class: "kt-btn kt-secondary", href: stop.nav.yandex_maps, target: "_blank", rel: "noopener", dataset: { nav: "yandex-maps" } }, t("stop.maps")),
    h("a", { class: "kt-btn kt-secondary", href: stop.nav.geo, dataset: { nav: "geo" } }, t("stop.geo")));
}

function journalNode(events, handlers) {
  return h("section", { class: "kt-journal", "aria-labelledby": "kt-journal-title" },
    h("h2", { id: "kt-journal-title" }, t("journal.title")),
    events.length
      ? h("ol", {}, events.map((event) => h("li", { class: `kt-${event.status}`, dataset: { kind: event.kind, status: event.status } },
        h("time", {}, fmtTime(event.at)),
        h("span", {}, eventLabel(event)),
        h("span", { class: "kt-status-text" }, statusText(event)),
        event.status === "rejected"
          ? h("button", { type: "button", class: "kt-btn kt-small", onclick: () => handlers.onDismissEntry(event.seq) }, t("status.dismiss"))
          : null)))
      : h("p", { class: "kt-muted" }, t("journal.empty")));
}

/**
 * How an event reads in the journal: "Прибыл", "Задержка 15 мин", ...
 * @param {Object} event
 * @returns {string}
 */
export function eventLabel(event) {
  return t(`kind.${event.kind}`, { minutes: event.delay_min ?? "" });
}

function statusText(event) {
  return event.status === "rejected" ? t("status.rejected", { message: event.error }) : t(`status.${event.status}`);
}

/**
 * The late/early clock.
 * @param {HTMLElement} el
 * @param {number|null} minutes  positive late, negative early, null unknown (hidden)
 */
export function renderClock(el, minutes) {
  el.hidden = minutes === null;
  if (minutes === null) return;
  const tone = Math.abs(minutes) <= 2 ? "ok" : minutes > 0 ? "late" : "early";
  el.dataset.tone = tone;
  el.dataset.minutes = minutes ?? "";
  const duration = (m) => (m >= 60 ? t("duration.hmin", { h: Math.floor(m / 60), m: String(m % 60).padStart(2, "0") }) : t("duration.min", { m }));
  el.textContent = {
    ok: () => t("clock.onTime"),
    late: () => t("clock.late", { duration: duration(minutes) }),
    early: () => t("clock.early", { duration: duration(-minutes) }),
  }[tone]();
}

/**
 * The "N waiting to send" indicator (hidden at 0).
 * @param {HTMLElement} el
 * @param {number} count
 */
export function renderOutbox(el, count) {
  el.hidden = count === 0;
  el.dataset.count = String(count);
  el.textContent = t(`outbox.${pluralKey(count, lang())}`, { count });
}
