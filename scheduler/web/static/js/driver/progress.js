// What the driver has done today and what comes next: the plan's steps matched with events.
// Pure functions over the API's DriverDay and a list of events (sent or waiting to be sent).

const MINUTE_MS = 60_000;
/** Lateness beyond this is a clock or date mismatch (e.g. a demo day), not a real delay. */
const PLAUSIBLE_MIN = 12 * 60;
/** The "now" part of the clock counts only this close to the day's shift. */
const ACTIVE_MARGIN_MS = 3 * 60 * MINUTE_MS;

/**
 * @typedef {Object} Step
 * @property {string} key        unique within the day
 * @property {string} kind       the event kind that completes it
 * @property {Object} stop       the DriverStop it belongs to
 * @property {number|null} screening  the screening index for screening_* steps
 * @property {string} planned    ISO time the plan expects it
 */

/**
 * The day's steps in order: for each stop arrived, setup_done, then each screening's start and end.
 * @param {Object} day a DriverDay
 * @returns {Step[]}
 */
export function daySteps(day) {
  const steps = [];
  for (const stop of day.stops) {
    const add = (kind, planned, screening = null) =>
      steps.push({ key: stepKey(kind, stop.venue_id, screening), kind, stop, screening, planned });
    add("arrived", stop.arrival);
    add("setup_done", stop.setup_end);
    for (const show of stop.screenings) {
      add("screening_started", show.start, show.index);
      add("screening_finished", show.end, show.index);
    }
  }
  return steps;
}

/**
 * The key of the step an event completes (or would complete).
 * @param {string} kind
 * @param {string|null} venueId
 * @param {number|null|undefined} screening
 * @returns {string}
 */
export function stepKey(kind, venueId, screening) {
  return `${kind}|${venueId ?? ""}|${screening ?? ""}`;
}

/**
 * Match events to steps.
 * @param {Step[]} steps
 * @param {Object[]} events  wire-shaped events ({kind, venue_id, screening_index, at, ...}),
 *   in the order they happened; refused ones are left out by the caller
 * @returns {{done: Map<string, Object>, skipped: Set<string>, next: Step|null, lastDone: number}}
 *   done: step key -> event; skipped: venue ids reported unreachable; next: the step to do now
 */
export function progress(steps, events) {
  const done = new Map();
  const skipped = new Set();
  for (const event of events) {
    if (event.kind === "cannot_reach") skipped.add(event.venue_id);
    const key = stepKey(event.kind, event.venue_id, event.screening_index);
    if (!done.has(key)) done.set(key, event);
  }
  let lastDone = -1;
  steps.forEach((step, i) => { if (done.has(step.key)) lastDone = i; });
  const next = steps.find((step, i) => i > lastDone && !skipped.has(step.stop.venue_id)) ?? null;
  return { done, skipped, next, lastDone };
}

/**
 * Minutes late (positive) or early (negative) against the plan, or null when unknown: from the
 * last step done (when it happened vs planned), at least the minutes a "delayed" report announced
 * after it, and at least how long the next step is overdue now (only near the day's shift).
 * @param {Object} day a DriverDay
 * @param {Step[]} steps
 * @param {ReturnType<typeof progress>} state
 * @param {Object[]} events
 * @param {Date} now
 * @returns {number|null}
 */
export function lateness(day, steps, state, events, now) {
  const candidates = [];
  const last = state.lastDone >= 0 ? steps[state.lastDone] : null;
  if (last) candidates.push(minutesBetween(last.planned, state.done.get(last.key).at));
  const since = last ? Date.parse(state.done.get(last.key).at) : -Infinity;
  for (const event of events) {
    if (event.kind === "delayed" && Date.parse(event.at) >= since) candidates.push(event.delay_min);
  }
  if (state.next && isActive(day, now)) {
    const overdue = minutesBetween(state.next.planned, now.toISOString());
    if (overdue > 0 || candidates.length === 0) candidates.push(Math.max(overdue, 0));
  }
  const plausible = candidates.filter((m) => Math.abs(m) <= PLAUSIBLE_MIN);
  return plausible.length ? Math.max(...plausible) : null;
}

function isActive(day, now) {
  if (!day.depot_departure || !day.depot_return) return false;
  const t = now.getTime();
  return t >= Date.parse(day.depot_departure) - ACTIVE_MARGIN_MS
    && t <= Date.parse(day.depot_return) + ACTIVE_MARGIN_MS;
}

function minutesBetween(fromIso, toIso) {
  return Math.round((Date.parse(toIso) - Date.parse(fromIso)) / MINUTE_MS);
}
