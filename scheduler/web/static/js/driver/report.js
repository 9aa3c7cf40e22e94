// Driver events: build the POST body of a tap and send it (the outbox decides when).
import { ApiError } from "../api.js";

/** Statuses after which a retry would never succeed: the event is refused for good. */
const RETRY_LATER = new Set([401, 408, 425, 429]);

/**
 * A new client id for an event: a random UUID (crypto.getRandomValues where randomUUID is
 * missing, e.g. on plain http outside localhost).
 * @returns {string}
 */
export function newEventId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The POST /api/driver/events body of a tap, stamped with the phone's clock now.
 * @param {string} kind     arrived, setup_done, screening_started, ...
 * @param {string} date     the route's day (YYYY-MM-DD): a screening after midnight still
 *                          belongs to the evening it started
 * @param {{venue_id?: string, screening_index?: number, delay_min?: number, note?: string}} fields
 * @returns {Object}
 */
export function eventBody(kind, date, fields = {}) {
  const body = { id: newEventId(), kind, at: new Date().toISOString(), date };
  for (const [name, value] of Object.entries(fields)) {
    if (value !== undefined && value !== null && value !== "") body[name] = value;
  }
  return body;
}

/**
 * The outbox's sender for an API client: stored -> {event}; refused for good (a 4xx other than
 * 401/408/425/429) -> {rejected: message}; anything else (offline, 5xx, logged out) throws.
 * @param {ReturnType<import("../api.js").client>} api
 * @returns {(body: Object) => Promise<{event?: Object, rejected?: string}>}
 */
export function sender(api) {
  return async (body) => {
    try {
      return { event: await api.post("/api/driver/events", body) };
    } catch (error) {
      const final = error instanceof ApiError && error.status >= 400 && error.status < 500
        && !RETRY_LATER.has(error.status);
      if (final) return { rejected: error.message };
      throw error;
    }
  };
}
