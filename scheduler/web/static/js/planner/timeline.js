// The plan's timeline: one lane per truck per day (grouped by day) on a shared time axis,
// with driving, waiting, setup, screenings, teardown and breaks in their own colours, civil
// dusk and the silence limit as markers on each lane, locks, a stop menu and drag-to-move.
import { fmtDay, fmtTime, t } from "/static/js/i18n.js";
import {
  findRoute, lockIcon, openMoveDialog, planDays, planTrucks, replanControl, setLock, stopMenu, stopRef,
} from "./edits.js";
import { h } from "./dom.js";
import { truckColours } from "./views-strings.js";

const views = new WeakMap(); // el -> {plan, ctx}
let dragging = null; // the stop being dragged: {ref, lane}

/**
 * Draw (or re-draw) the timeline of a plan version into `el`.
 * @param {HTMLElement} el the container section
 * @param {object} plan GET /api/plans/{id}
 * @param {{api, plan, season, showPlan: Function, notify: Function}} ctx
 */
export function renderTimeline(el, plan, ctx) {
  if (!views.has(el)) {
    window.addEventListener("langchange", () => {
      const view = views.get(el);
      if (view) renderTimeline(el, view.plan, view.ctx);
    });
  }
  views.set(el, { plan, ctx });
  el.classList.add("pv-timeline");
  el.dataset.planId = plan.id;
  const days = planDays(plan, ctx.season);
  const range = axisRange(plan);
  const colours = truckColours(plan);
  el.replaceChildren(
    h("div", { class: "pv-head" }, h("h2", {}, t("tl.title")), replanControl(plan, ctx)),
    legend(),
    plan.routes.length ? h("p", { class: "pv-muted pv-hint" }, t("tl.dragHint")) : h("p", { class: "pv-empty" }, t("pv.noRoutes")),
    ...days.map((day) => dayGroup(day, plan, ctx, range, colours)),
  );
}

// --- time ------------------------------------------------------------------------------

/** Minutes from the local midnight of `day` to an ISO time (read in its own offset: the
 * plan's times are in the season's zone). */
function minutesOf(iso, day) {
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d(?:\.\d+)?))?/.exec(iso);
  const [y, mo, d] = day.split("-").map(Number);
  const days = (Date.UTC(+m[1], +m[2] - 1, +m[3]) - Date.UTC(y, mo - 1, d)) / 86400000;
  return days * 1440 + Number(m[4]) * 60 + Number(m[5]) + Number(m[6] || 0) / 60;
}

/** The axis in minutes from midnight: 10:00-02:00, widened to whole hours to fit every route. */
function axisRange(plan) {
  let from = 10 * 60;
  let to = 26 * 60;
  for (const r of plan.routes) {
    from = Math.min(from, Math.floor(minutesOf(r.depot_departure, r.day) / 60) * 60);
    to = Math.max(to, Math.ceil(minutesOf(r.depot_return, r.day) / 60) * 60);
  }
  return { from, to };
}

const durationText = (a, b) => t("pv.minutes", { n: Math.round((new Date(b) - new Date(a)) / 60000) });

// --- building blocks -------------------------------------------------------------------

const KINDS = ["driving", "waiting", "setup", "screening", "teardown", "break"];

function legend() {
  return h("div", { class: "pv-legend tl-legend", "aria-label": t("tl.legend") },
    KINDS.map((kind) => h("span", { class: "pv-legend-item" }, h("i", { class: `tl-swatch tl-${kind}` }), t(`tl.${kind}`))),
    h("span", { class: "pv-legend-item" }, h("i", { class: "tl-swatch-line tl-dusk" }), t("tl.dusk")),
    h("span", { class: "pv-legend-item" }, h("i", { class: "tl-swatch-line tl-silence" }), t("tl.silence")),
    h("span", { class: "pv-legend-item" }, lockIcon(true), t("pv.locked")));
}

function axis(range) {
  const ticks = [];
  for (let m = range.from; m <= range.to; m += 60) {
    const left = ((m - range.from) / (range.to - range.from)) * 100;
    ticks.push(h("span", { class: "tl-tick", style: `left:${left}%` }, `${String((m / 60) % 24).padStart(2, "0")}:00`));
  }
  return h("div", { class: "tl-row tl-axis-row" }, h("div", {}), h("div", { class: "tl-axis" }, ticks));
}

function dayGroup(day, plan, ctx, range, colours) {
  const lanes = planTrucks(plan).map((truck) => lane(day, truck, findRoute(plan, truck.id, day), plan, ctx, range, colours));
  const hours = (range.to - range.from) / 60;
  return h("section", { class: "tl-day", dataset: { day }, style: `--tl-hours:${hours}` }, h("h3", {}, fmtDay(day)), axis(range), lanes);
}

/** Place an element between two ISO times on a span of minutes [from, to] of `day`. */
function place(el, start, end, day, from, to) {
  const left = ((minutesOf(start, day) - from) / (to - from)) * 100;
  const width = ((minutesOf(end, day) - minutesOf(start, day)) / (to - from)) * 100;
  el.style.left = `${left}%`;
  el.style.width = `${Math.max(width, 0)}%`;
  return el;
}

function segment(kind, start, end, day, from, to, label = null, title = null) {
  const tip = title || t("tl.span", { what: t(`tl.${kind}`), from: fmtTime(start), to: fmtTime(end), minutes: durationText(start, end) });
  return place(h("div", { class: `tl-seg tl-${kind}`, title: tip }, label ? h("span", {}, label) : null), start, end, day, from, to);
}

function marker(kind, iso, day, range, text) {
  const left = ((minutesOf(iso, day) - range.from) / (range.to - range.from)) * 100;
  return h("div", { class: `tl-mark tl-${kind}`, style: `left:${left}%`, title: text, "aria-label": text });
}

function laneLabel(truck, route, plan, ctx, colours) {
  const label = h("div", { class: "tl-label" },
    h("span", { class: "tl-truck" }, h("i", { class: "pv-dot", style: `background:${colours.get(truck.id)}` }), truck.name));
  if (!route) return label;
  const what = t("tl.lane", { truck: truck.name, day: fmtDay(route.day) });
  label.append(
    h("span", { class: "pv-muted tl-shift" },
      `${t(`screen.${route.screen}`)} · ${t("tl.shift", { from: fmtTime(route.depot_departure), to: fmtTime(route.depot_return) })}`),
    h("button", {
      type: "button", class: "pv-lock", "aria-pressed": String(route.locked),
      title: route.locked ? t("pv.lockedDay") : t("pv.lockDay"),
      "aria-label": `${t(route.locked ? "pv.unlockDay" : "pv.lockDay")}: ${what}`,
      onclick: () => setLock(plan, ctx, { truck_id: route.truck_id, day: route.day, locked: !route.locked, label: what }),
    }, lockIcon(route.locked)));
  return label;
}

function stopBlock(route, stop, plan, ctx, range) {
  const ref = stopRef(route, stop);
  const span = [minutesOf(stop.arrival, route.day), minutesOf(stop.departure, route.day)];
  const inner = (kind, start, end, label, title) => segment(kind, start, end, route.day, span[0], span[1], label, title);
  const bar = h("div", { class: "tl-bar" }, inner("setup", stop.setup_start, stop.setup_end));
  let free = stop.setup_end;
  for (const show of stop.screenings) {
    if (new Date(show.start) > new Date(free)) bar.append(inner("waiting", free, show.start));
    bar.append(inner("screening", show.start, show.end, show.title,
      t("tl.screeningTip", { title: show.title, rating: show.rating, from: fmtTime(show.start), to: fmtTime(show.end) })));
    free = show.end;
  }
  if (stop.teardown_start) bar.append(inner("teardown", stop.teardown_start, stop.departure));
  const movable = !stop.locked && !route.locked;
  const block = h("div", {
    class: `tl-stop${stop.locked ? " locked" : ""}`, draggable: movable ? "true" : null,
    dataset: { venue: stop.venue_id, position: stop.position },
    title: `${stop.venue_name} (${stop.okrug}) ${fmtTime(stop.arrival)}–${fmtTime(stop.departure)}${stop.locked ? ` · ${t("pv.lockedStop")}` : ""}`,
  },
  h("div", { class: "tl-stop-head" }, stop.locked ? lockIcon(true) : null, h("span", { class: "tl-name" }, stop.venue_name), stopMenu(ref, plan, ctx)),
  bar);
  if (movable) {
    block.addEventListener("dragstart", (event) => {
      dragging = { ref };
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", `${ref.truck_id}/${ref.day}/${ref.venue_id}`);
      block.classList.add("dragging");
    });
    block.addEventListener("dragend", () => { dragging = null; block.classList.remove("dragging"); });
  }
  return place(block, stop.arrival, stop.departure, route.day, range.from, range.to);
}

function routeTrack(route, plan, ctx, range) {
  const track = [];
  const seg = (kind, start, end) => segment(kind, start, end, route.day, range.from, range.to);
  let leave = route.depot_departure;
  for (const stop of route.stops) {
    track.push(seg("driving", leave, stop.arrival));
    leave = stop.departure;
  }
  if (route.stops.length) track.push(seg("driving", leave, route.depot_return));
  for (const pause of route.breaks) track.push(seg("break", pause.start, pause.end));
  track.push(...route.stops.map((stop) => stopBlock(route, stop, plan, ctx, range)));
  if (route.dusk) track.push(marker("dusk", route.dusk, route.day, range, t("tl.duskAt", { time: fmtTime(route.dusk) })));
  track.push(marker("silence", route.silence_start, route.day, range, t("tl.silenceAt", { time: fmtTime(route.silence_start) })));
  return track;
}

function lane(day, truck, route, plan, ctx, range, colours) {
  const track = h("div", { class: "tl-track" },
    route ? routeTrack(route, plan, ctx, range) : h("span", { class: "tl-none" }, t("tl.noRoute")));
  const row = h("div", {
    class: `tl-row tl-lane${route ? "" : " empty"}${route?.locked ? " locked" : ""}`,
    dataset: { truck: truck.id, day, route: route ? "1" : "0" },
    "aria-label": t("tl.lane", { truck: truck.name, day: fmtDay(day) }),
  }, laneLabel(truck, route, plan, ctx, colours), track);
  if (!route?.locked) acceptDrops(track, route, truck, day, plan, ctx);
  return row;
}

// --- drag a stop onto a lane -------------------------------------------------------------

/** The position a drop at clientX means: the number of the lane's other stops left of it. */
function dropPosition(track, clientX, ref) {
  let position = 0;
  for (const block of track.querySelectorAll(".tl-stop")) {
    const same = block.dataset.venue === ref.venue_id && track.closest(".tl-lane").dataset.truck === ref.truck_id
      && track.closest(".tl-lane").dataset.day === ref.day;
    if (same) continue;
    const box = block.getBoundingClientRect();
    if (box.left + box.width / 2 < clientX) position += 1;
  }
  return position;
}

function acceptDrops(track, route, truck, day, plan, ctx) {
  const caret = h("div", { class: "tl-caret", hidden: true });
  track.append(caret);
  track.addEventListener("dragover", (event) => {
    if (!dragging) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    const box = track.getBoundingClientRect();
    caret.hidden = false;
    caret.style.left = `${Math.max(0, event.clientX - box.left)}px`;
  });
  track.addEventListener("dragleave", (event) => { if (!track.contains(event.relatedTarget)) caret.hidden = true; });
  track.addEventListener("drop", (event) => {
    caret.hidden = true;
    if (!dragging) return;
    event.preventDefault();
    const { ref } = dragging;
    dragging = null;
    const position = route ? dropPosition(track, event.clientX, ref) : 0;
    openMoveDialog(ref, plan, ctx, { truck_id: truck.id, day, position });
  });
}
