// The driver view (/driver): log in, the day's route, taps queued in the outbox and sent when
// the connection allows, the late/early clock, "route changed" notices, offline via sw.js.
import "./strings.js";
import { ApiError, client } from "../api.js";
import { applyI18n, bindLangSwitch, fmtDay, lang, moscowToday, t } from "../i18n.js";
import { checkRoute, dismissNotice, forgetRoutes } from "./changes.js";
import { ask } from "./dialog.js";
import { addDays, isDay, pluralKey } from "./dom.js";
import { showLogin } from "./login.js";
import * as outbox from "./outbox.js";
import { daySteps, lateness, progress } from "./progress.js";
import { renderClock, renderContent, renderOutbox } from "./render.js";
import { eventBody, sender } from "./report.js";
import { openRunSheet } from "./runsheet.js";

const api = client("driver");
const USER_KEY = "kt.driver.user";
const DATA_CACHE = "kt-driver-data";
const POLL_MS = 60_000;
const FLUSH_MS = 15_000;
const CLOCK_MS = 30_000;
const DELAYS_MIN = [10, 15, 20, 30, 45, 60];

const $ = (id) => document.getElementById(id);

const state = {
  user: null,
  date: null,
  day: null,
  loading: false,
  error: null,
  cachedAt: null,
  notice: null,
  entries: [],
};

// --- the day ---------------------------------------------------------------------------------

function dayEvents() {
  const byId = new Map();
  for (const event of state.day?.events ?? []) byId.set(event.client_id, { ...event, status: "sent" });
  for (const entry of state.entries) {
    if (entry.body.date !== state.date || byId.has(entry.body.id)) continue;
    byId.set(entry.body.id, {
      ...entry.body, client_id: entry.body.id, status: entry.status, error: entry.error, seq: entry.seq,
    });
  }
  return [...byId.values()].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

function view() {
  const events = dayEvents();
  const valid = events.filter((event) => event.status !== "rejected");
  const steps = state.day ? daySteps(state.day) : [];
  return { ...state, events, valid, steps, progress: progress(steps, valid) };
}

function render() {
  if (!state.user) return;
  const model = view();
  renderContent($("kt-content"), model, handlers);
  renderClockNow(model);
  renderOutbox($("kt-outbox"), state.entries.filter((entry) => entry.status === "pending").length);
  $("kt-offline").hidden = navigator.onLine;
  $("kt-delay").hidden = !state.day?.stops.length;
  $("kt-date").value = state.date;
  $("kt-date-label").textContent = `${fmtDay(state.date)} ${state.date.slice(0, 4)}`;
}

function renderClockNow(model = view()) {
  const minutes = state.day ? lateness(state.day, model.steps, model.progress, model.valid, new Date()) : null;
  renderClock($("kt-clock"), minutes);
}

async function load({ quiet = false } = {}) {
  const date = state.date;
  if (!quiet) {
    state.loading = true;
    state.error = null;
    if (state.day?.date !== date) state.day = null;
    render();
  }
  try {
    const response = await api.request(`/api/driver/today?date=${date}`, { raw: true });
    const day = await response.json();
    if (date !== state.date) return;
    state.cachedAt = response.headers.get("X-KT-Cached");
    state.day = day;
    state.error = null;
    state.notice = checkRoute(state.user.name, day, { fromCache: Boolean(state.cachedAt) });
  } catch (error) {
    if (date !== state.date || (error instanceof ApiError && error.status === 401)) return;
    if (quiet && state.day && error instanceof TypeError) return; // offline poll: keep the day shown
    state.error = error instanceof TypeError ? t("day.offlineNone") : t("day.error", { message: error.message });
  } finally {
    if (date === state.date) {
      state.loading = false;
      render();
    }
  }
}

function setDate(date) {
  if (!isDay(date) || date === state.date) return;
  state.date = date;
  state.notice = null;
  history.replaceState(null, "", `?date=${date}`);
  load();
}

// --- taps and the outbox ------------------------------------------------------------------------

async function refreshEntries() {
  if (!state.user) return;
  try {
    state.entries = await outbox.entries(state.user.name);
  } catch (error) {
    state.error = t("outbox.failed", { message: error.message });
  }
  render();
}

async function tap(kind, fields = {}) {
  try {
    await outbox.enqueue(state.user.name, eventBody(kind, state.date, fields));
  } catch (error) {
    state.error = t("outbox.failed", { message: error.message });
    render();
    return;
  }
  sendNow();
}

async function sendNow() {
  if (!state.user || !navigator.onLine || !api.loggedIn()) return;
  try {
    const result = await outbox.flush(state.user.name, sender(api));
    const error = result.error;
    if (error && !(error instanceof TypeError) && !(error instanceof ApiError && error.status === 401)) {
      state.error = t("day.error", { message: error.message });
      render();
    }
    if (result.sent) load({ quiet: true }); // the server's copy of the day (and the offline cache)
  } catch (error) {
    state.error = t("outbox.failed", { message: error.message });
    render();
  }
}

const handlers = {
  onTap: tap,
  onShiftDay: (days) => setDate(addDays(state.date, days)),
  async onCannotReach(stop) {
    const answer = await ask({
      title: t("dialog.cannotReachTitle", { name: stop.name }),
      options: [{ label: t("dialog.send"), value: true, danger: true }],
      note: t("dialog.cannotReachNote"),
    });
    if (answer) tap("cannot_reach", { venue_id: stop.venue_id, note: answer.note });
  },
  onDismissNotice() {
    dismissNotice(state.user.name, state.date);
    state.notice = null;
    render();
  },
  onDismissEntry(seq) {
    outbox.dismiss(seq).catch((error) => {
      state.error = t("outbox.failed", { message: error.message });
      render();
    });
  },
};

async function reportDelay() {
  const answer = await ask({
    title: t("dialog.delayTitle"),
    options: DELAYS_MIN.map((minutes) => ({ label: t("dialog.delayOption", { minutes }), value: minutes })),
  });
  if (!answer) return;
  const next = view().progress.next;
  tap("delayed", { delay_min: answer.value, venue_id: next?.stop.venue_id });
}

async function reportBreakdown() {
  const answer = await ask({
    title: t("dialog.breakdownTitle"),
    options: [{ label: t("dialog.send"), value: true, danger: true }],
    note: t("dialog.breakdownNote"),
  });
  if (answer) tap("breakdown", { note: answer.note });
}

async function runSheet() {
  try {
    await openRunSheet(api, state.date);
  } catch (error) {
    state.error = error.message === "popup-blocked"
      ? t("runsheet.blocked")
      : t("runsheet.error", { message: error instanceof TypeError ? t("net.offline") : error.message });
    render();
  }
}

// --- login, logout, start ----------------------------------------------------------------------

function showView(name) {
  document.body.dataset.view = name;
  $("kt-login").hidden = name !== "login";
  $("kt-day").hidden = name !== "day";
  $("kt-actions").hidden = name !== "day";
  $("kt-logout").hidden = name !== "day";
}

async function toLogin(message = "") {
  state.user = null;
  showView("login");
  const user = await showLogin($("kt-login"), api, message);
  localStorage.setItem(USER_KEY, JSON.stringify(user));
  enterDay(user);
}

function enterDay(user) {
  state.user = user;
  $("kt-who").textContent = user.truck_id ? `${user.name} · ${user.truck_id}` : user.name;
  showView("day");
  const asked = new URLSearchParams(location.search).get("date");
  state.date = isDay(asked) ? asked : moscowToday();
  load();
  refreshEntries();
  outbox.prune(user.name).catch(() => { /* pruning is housekeeping: the next start retries */ });
  sendNow();
}

async function logout() {
  const pending = state.entries.filter((entry) => entry.status === "pending").length;
  if (pending) {
    const answer = await ask({
      title: t(`outbox.${pluralKey(pending, lang())}`, { count: pending }),
      options: [{ label: t("app.logout"), value: true, danger: true }],
    });
    if (!answer) return;
  }
  await api.logout();
  localStorage.removeItem(USER_KEY);
  forgetRoutes();
  if ("caches" in window) await caches.delete(DATA_CACHE);
  state.day = null;
  state.entries = [];
  toLogin();
}

function registerWorker() {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.register("/driver-sw.js", { scope: "/driver" }).catch((error) => {
    console.warn("offline mode unavailable:", error.message);
  });
  // The first visit's data was fetched before the worker took over: fetch it again through it.
  navigator.serviceWorker.addEventListener("controllerchange", () => { if (state.user) load({ quiet: true }); });
}

function wire() {
  $("kt-prev").addEventListener("click", () => setDate(addDays(state.date, -1)));
  $("kt-next").addEventListener("click", () => setDate(addDays(state.date, 1)));
  $("kt-date").addEventListener("change", (event) => setDate(event.target.value));
  $("kt-date").addEventListener("click", (event) => {
    try { event.target.showPicker(); } catch { /* the browser opens its own picker */ }
  });
  $("kt-refresh").addEventListener("click", () => { load(); sendNow(); });
  $("kt-delay").addEventListener("click", reportDelay);
  $("kt-breakdown").addEventListener("click", reportBreakdown);
  $("kt-runsheet").addEventListener("click", runSheet);
  $("kt-logout").addEventListener("click", logout);
  window.addEventListener("online", () => { render(); sendNow(); if (state.user) load({ quiet: true }); });
  window.addEventListener("offline", render);
  window.addEventListener("outboxchange", refreshEntries);
  window.addEventListener("langchange", render);
  window.addEventListener("loggedout", () => { if (state.user) toLogin(t("login.expired")); });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && state.user) { sendNow(); load({ quiet: true }); }
  });
  setInterval(() => { if (state.user && navigator.onLine && document.visibilityState === "visible") load({ quiet: true }); }, POLL_MS);
  setInterval(() => { if (state.entries.some((entry) => entry.status === "pending")) sendNow(); }, FLUSH_MS);
  setInterval(() => { if (state.user) renderClockNow(); }, CLOCK_MS);
}

async function start() {
  applyI18n();
  bindLangSwitch(document.querySelector("[data-lang-switch]"));
  wire();
  registerWorker();
  const known = JSON.parse(localStorage.getItem(USER_KEY) ?? "null");
  if (!api.loggedIn()) return toLogin();
  if (known) return enterDay(known);
  try {
    const me = await api.get("/api/auth/me");
    if (me.role !== "driver") return toLogin(t("login.notDriver"));
    localStorage.setItem(USER_KEY, JSON.stringify(me));
    enterDay(me);
  } catch (error) {
    toLogin(error instanceof TypeError ? t("login.offline") : error.message);
  }
}

start();
