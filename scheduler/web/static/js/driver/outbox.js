// The outbox: driver events wait in IndexedDB until the server has them, and are sent in the
// order they were tapped, with the ids the phone gave them (the server ignores a replayed id).
// Entries stay after sending (status "sent") as the phone's journal of the day, so a reload
// offline still shows them; old ones are pruned.

const DB_NAME = "kt-driver";
const STORE = "outbox";
const LOCK = "kt-driver-outbox";
const KEEP_MS = 3 * 24 * 3600 * 1000;

/**
 * @typedef {Object} Entry
 * @property {number} seq        the order of the tap (IndexedDB key)
 * @property {string} owner      the driver's user name (only their session sends it)
 * @property {Object} body       the POST /api/driver/events body ({id, kind, at, date, ...})
 * @property {"pending"|"sent"|"rejected"} status
 * @property {string} [error]    why the server refused it
 * @property {number} queuedAt   Date.now() at the tap
 */

let opening = null;

function database() {
  opening ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => {
      request.result.createObjectStore(STORE, { keyPath: "seq", autoIncrement: true });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  opening.catch(() => { opening = null; });
  return opening;
}

/** Run work(store, out) in one transaction; resolves out.value once it has committed. */
async function run(mode, work) {
  const db = await database();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const out = {};
    work(tx.objectStore(STORE), out);
    tx.oncomplete = () => resolve(out.value);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

function changed() {
  window.dispatchEvent(new CustomEvent("outboxchange"));
}

/**
 * Store a tap; it is sent by the next flush.
 * @param {string} owner
 * @param {Object} body the event as POSTed
 * @returns {Promise<Entry>}
 */
export async function enqueue(owner, body) {
  const entry = { owner, body, status: "pending", queuedAt: Date.now() };
  await run("readwrite", (store) => {
    store.add(entry).onsuccess = (e) => { entry.seq = e.target.result; };
  });
  changed();
  return entry;
}

/**
 * Every entry of a driver, in tap order.
 * @param {string} owner
 * @returns {Promise<Entry[]>}
 */
export async function entries(owner) {
  const all = await run("readonly", (store, out) => {
    store.getAll().onsuccess = (e) => { out.value = e.target.result; };
  });
  return all.filter((entry) => entry.owner === owner).sort((a, b) => a.seq - b.seq);
}

async function put(entry) {
  await run("readwrite", (store) => store.put(entry));
  changed();
}

/**
 * Forget a refused entry (the driver has read why).
 * @param {number} seq
 */
export async function dismiss(seq) {
  await run("readwrite", (store) => store.delete(seq));
  changed();
}

/**
 * Drop sent and refused entries older than a few days (pending ones always stay).
 * @param {string} owner
 */
export async function prune(owner) {
  const old = (await entries(owner)).filter(
    (entry) => entry.status !== "pending" && Date.now() - entry.queuedAt > KEEP_MS,
  );
  if (!old.length) return;
  await run("readwrite", (store) => old.forEach((entry) => store.delete(entry.seq)));
  changed();
}

let flushing = null;

/**
 * Send a driver's pending entries in order, one at a time, until one cannot go now.
 * send(body) resolves {event} (stored: mark sent), or {rejected: message} (the server refuses it
 * for good: mark refused and go on), or throws (offline, server down, logged out: stop, keep it
 * for the next flush). One flush at a time per tab, and per phone where Web Locks exist.
 * @param {string} owner
 * @param {(body: Object) => Promise<{event?: Object, rejected?: string}>} send
 * @returns {Promise<{sent: number, error: Error|null}>}
 */
export function flush(owner, send) {
  if (flushing) return flushing;
  const work = () => drain(owner, send);
  const locked = navigator.locks ? navigator.locks.request(LOCK, work) : work();
  flushing = locked.finally(() => { flushing = null; });
  return flushing;
}

async function drain(owner, send) {
  let sent = 0;
  for (const entry of await entries(owner)) {
    if (entry.status !== "pending") continue;
    let outcome;
    try {
      outcome = await send(entry.body);
    } catch (error) {
      return { sent, error };
    }
    if (outcome.rejected) await put({ ...entry, status: "rejected", error: outcome.rejected });
    else await put({ ...entry, status: "sent", event: outcome.event });
    sent += 1;
  }
  return { sent, error: null };
}
