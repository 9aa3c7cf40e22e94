// "Route changed": remember the route shown for a day and list what a re-plan changed in it.

const PREFIX = "kt.driver.seen.";

/**
 * The parts of a DriverDay a driver cares about when it changes.
 * @param {Object} day a DriverDay
 * @returns {{plan: Object|null, stops: Object[]}}
 */
export function snapshot(day) {
  return {
    plan: day.plan ? { id: day.plan.id, version: day.plan.version, number: day.plan.number } : null,
    stops: day.stops.map((stop) => ({
      venue_id: stop.venue_id,
      name: stop.name,
      position: stop.position,
      arrival: stop.arrival,
      screenings: stop.screenings.map((show) => ({ title: show.title, start: show.start })),
    })),
  };
}

/**
 * What changed from one snapshot to the next, as a list of {type, ...} items:
 * added {name, time}, removed {name}, moved {name, from, to}, arrival {name, from, to},
 * screenings {name, from: [...], to: [...]} (times as ISO strings; the view formats them).
 * @param {{stops: Object[]}} before
 * @param {{stops: Object[]}} after
 * @returns {Object[]}
 */
export function diffRoutes(before, after) {
  const old = new Map(before.stops.map((s) => [s.venue_id, s]));
  const now = new Map(after.stops.map((s) => [s.venue_id, s]));
  const changes = [];
  for (const stop of after.stops) {
    const was = old.get(stop.venue_id);
    if (!was) {
      changes.push({ type: "added", name: stop.name, time: stop.arrival });
      continue;
    }
    if (was.position !== stop.position) {
      changes.push({ type: "moved", name: stop.name, from: was.position, to: stop.position });
    }
    if (was.arrival !== stop.arrival) {
      changes.push({ type: "arrival", name: stop.name, from: was.arrival, to: stop.arrival });
    }
    if (showsKey(was) !== showsKey(stop)) {
      changes.push({ type: "screenings", name: stop.name, from: was.screenings, to: stop.screenings });
    }
  }
  for (const stop of before.stops) {
    if (!now.has(stop.venue_id)) changes.push({ type: "removed", name: stop.name });
  }
  return changes;
}

function showsKey(stop) {
  return JSON.stringify(stop.screenings.map((s) => [s.title, Date.parse(s.start)]));
}

/**
 * Whether two snapshots come from different plan versions.
 * @param {{plan: Object|null}} before
 * @param {{plan: Object|null}} after
 * @returns {boolean}
 */
export function planChanged(before, after) {
  const a = before.plan, b = after.plan;
  if (!a || !b) return Boolean(a) !== Boolean(b);
  return a.id !== b.id || a.version !== b.version;
}

/**
 * Compare a freshly loaded day with the one last seen on this phone and remember it; the
 * notice (the changes) stays stored until the driver dismisses it.
 * @param {string} owner  the driver's user name
 * @param {Object} day    a DriverDay
 * @param {{fromCache?: boolean}} [options] fromCache: the service worker's saved copy (offline):
 *   only read the stored notice, remember nothing
 * @returns {Object[]|null} the changes to show, or null
 */
export function checkRoute(owner, day, { fromCache = false } = {}) {
  const key = `${PREFIX}${owner}.${day.date}`;
  const stored = read(key);
  if (fromCache) return stored?.notice ?? null;
  const current = snapshot(day);
  let notice = stored?.notice ?? null;
  if (stored && planChanged(stored.snapshot, current)) {
    const changes = diffRoutes(stored.snapshot, current);
    notice = [...(notice ?? []), ...changes];
    if (!notice.length) notice = null;
  }
  localStorage.setItem(key, JSON.stringify({ snapshot: current, notice }));
  return notice;
}

/**
 * Forget the notice of a day (the driver tapped "got it").
 * @param {string} owner
 * @param {string} date
 */
export function dismissNotice(owner, date) {
  const key = `${PREFIX}${owner}.${date}`;
  const stored = read(key);
  if (stored) localStorage.setItem(key, JSON.stringify({ ...stored, notice: null }));
}

/** Forget every remembered route (on logout). */
export function forgetRoutes() {
  for (const key of Object.keys(localStorage)) if (key.startsWith(PREFIX)) localStorage.removeItem(key);
}

function read(key) {
  try {
    return JSON.parse(localStorage.getItem(key) ?? "null");
  } catch {
    return null;
  }
}
