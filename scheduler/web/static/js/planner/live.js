// The "live day" tab: a day of the shown plan version, the moment "now" and the disruptions
// known by then. "What if" re-plans the rest of the day into a new, unpublished version;
// "Apply and publish" publishes it at once (POST /api/plans/{id}/replan). The events are
// edited by live-events.js, the result drawn by live-result.js (with, when venues were asked
// for, the new version's plan to tell whether they are served); the API's field errors (422)
// show beside the field or the event they name.
import "./live-strings.js";
import { t, fmtDay, moscowToday } from "/static/js/i18n.js";
import { h, fill } from "./dom.js";
import { confirmAction } from "./dialog.js";
import { badges } from "./planbar.js";
import { describe } from "./notify.js";
import { humanize } from "./form.js";
import { planDays, planTrucks } from "./edits.js";
import { renderResult } from "./live-result.js";
import { CLOCK, CLOCK_FIELDS, KINDS, clockInput, eventsEditor, field } from "./live-events.js";

const ZONE = "Europe/Moscow";
const SITUATION_FIELDS = ["day", "now", "time_limit_s"];

/** The clock time HH:MM in Moscow now. */
function clockNow() {
  return new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", timeZone: ZONE, hourCycle: "h23" }).format(new Date());
}

/**
 * An ISO 8601 moment for a wall-clock time on a day in Moscow, with its UTC offset.
 * @param {string} day YYYY-MM-DD
 * @param {string} clock HH:MM
 * @returns {string}
 */
export function zonedIso(day, clock) {
  const [y, m, d] = day.split("-").map(Number);
  const [hh, mm] = clock.split(":").map(Number);
  const moment = new Date(Date.UTC(y, m - 1, d, hh, mm));
  const name = new Intl.DateTimeFormat("en-US", { timeZone: ZONE, timeZoneName: "longOffset" })
    .formatToParts(moment).find((part) => part.type === "timeZoneName").value;
  const offset = name === "GMT" ? "+00:00" : name.slice(3);
  return `${day}T${clock.padStart(5, "0")}:00${offset}`;
}

/**
 * The form field of a new venue's error path ("lat", "hours.0.end", "id").
 * @param {string[]} parts the path after "venue"
 * @returns {string}
 */
function venueField(parts) {
  if (parts[0] === "hours") return parts[2] === "start" ? "hours_start" : "hours_end";
  return parts[0] === "id" ? "name" : parts[0];
}

/**
 * Where a 422 field path ("disruptions.1.truck_id", "disruptions.0.delayed.minutes",
 * "disruptions.0.venue.lat", "now") belongs: an event of the list and its field (a new
 * venue's fields by their names in the form), or a field of the situation.
 * @param {string} path
 * @returns {{index?: number, field: string|null}}
 */
export function errorPlace(path) {
  const parts = path.split(".");
  if (parts[0] === "disruptions" && /^\d+$/.test(parts[1] ?? "")) {
    const rest = parts.slice(2).filter((part) => !(part in KINDS));
    const field = rest[0] === "venue" && rest.length > 1 ? venueField(rest.slice(1)) : rest.at(-1);
    return { index: Number(parts[1]), field: field ?? null };
  }
  return { field: parts[0] || null };
}

/**
 * The live day view.
 * @param {HTMLElement} el the view's container
 * @param {Object} app the workspace: api, season, plan, showPlan, refreshSeasons, goTo, notify, markStale
 * @returns {{load: () => Promise<void>, render: () => void}}
 */
export function liveView(el, app) {
  const state = {
    seasonId: null, trucks: [], venues: [], films: [], loadError: null,
    day: null, now: clockNow(), limit: "1", kind: "delayed", draft: {}, draftErrors: {},
    items: [], itemErrors: {}, fieldErrors: {}, top: "", result: null, outcome: null,
  };
  const parts = {};
  const events = eventsEditor(state, { trucks, plannedVenueIds, truckStops });

  async function load() {
    state.loadError = null;
    try {
      await loadLists();
      await loadRecord();
    } catch (error) {
      state.loadError = error;
    }
  }

  /** The season's trucks, venues and films for the pickers (once per season). */
  async function loadLists() {
    if (!app.season || state.seasonId === app.season.id) return;
    const id = app.season.id;
    const [trucks, venues, films] = await Promise.all(["trucks", "venues", "films"].map(
      (kind) => app.api.get(`/api/${kind}?season_id=${id}&limit=1000`)));
    Object.assign(state, { trucks, venues, films, seasonId: id, items: [], result: null, day: null });
  }

  /** A shown re-plan version (a planner's, or one a driver's event made) shows its record. */
  async function loadRecord() {
    const plan = app.plan;
    if (plan?.kind !== "replan" || state.result?.plan.id === plan.id) return;
    state.result = await app.api.get(`/api/plans/${plan.id}/replan`);
    state.outcome = await loadOutcome(state.result);
  }

  /** The new version's plan when the re-plan asked for venues (are they served?), else null. */
  async function loadOutcome(result) {
    const asked = result.situation?.disruptions.some((item) => item.kind === "venue_requested");
    return asked ? app.api.get(`/api/plans/${result.plan.id}`) : null;
  }

  // --- what the pickers offer ------------------------------------------------------------

  function days() {
    return app.plan ? planDays(app.plan, app.season) : [];
  }

  function defaultDay() {
    const all = days();
    if (all.includes(state.day)) return state.day;
    return all.includes(moscowToday()) ? moscowToday() : all[0] ?? null;
  }

  function trucks() {
    return state.trucks.length ? state.trucks : app.plan ? planTrucks(app.plan) : [];
  }

  /** A truck's stops on the chosen day of the shown version. */
  function truckStops(truckId) {
    return app.plan?.routes.find((route) => route.truck_id === truckId && route.day === state.day)?.stops ?? [];
  }

  function plannedVenueIds() {
    const ids = new Set();
    for (const route of app.plan?.routes ?? []) if (route.day === state.day) for (const stop of route.stops) ids.add(stop.venue_id);
    return ids;
  }

  // --- the situation: day, now, limit ----------------------------------------------------

  function situation() {
    const daySelect = h("select", { id: "live-day", "aria-describedby": "live-day-error" },
      days().map((day) => h("option", { value: day }, fmtDay(day))));
    daySelect.value = state.day ?? "";
    daySelect.addEventListener("change", () => { state.day = daySelect.value; events.drawForm(); });
    const now = clockInput({ id: "live-now", "aria-describedby": "live-now-error" }, state.now);
    now.addEventListener("input", () => { state.now = now.value; });
    const limit = h("input", { id: "live-limit", type: "text", inputmode: "decimal", value: state.limit, autocomplete: "off", "aria-describedby": "live-limit-error" });
    limit.addEventListener("input", () => { state.limit = limit.value; });
    const errors = state.fieldErrors;
    for (const [input, key] of [[daySelect, "day"], [now, "now"], [limit, "time_limit_s"]]) if (errors[key]) input.setAttribute("aria-invalid", "true");
    return h("div", { class: "live-when" },
      field(t("live.day"), daySelect, "live-day", { error: errors.day, name: "day" }),
      field(t("live.now"), now, "live-now", { error: errors.now, name: "now" }),
      field(t("live.limit"), limit, "live-limit", { error: errors.time_limit_s, name: "time_limit_s" }),
      h("small", { class: "hint live-when-hint" }, t("live.when_hint")));
  }

  // --- re-planning -------------------------------------------------------------------------

  function wire(item) {
    if (item.mode === "new") return { kind: item.kind, venue: events.newVenue(item.values) };
    const body = { kind: item.kind };
    for (const [name, value] of Object.entries(item.values)) body[name] = CLOCK_FIELDS.has(name) ? zonedIso(state.day, value) : value;
    return body;
  }

  function requestBody(publish) {
    const limit = state.limit.trim().replace(",", ".");
    return {
      day: state.day,
      now: zonedIso(state.day, state.now),
      disruptions: state.items.map(wire),
      publish,
      time_limit_s: /^\d+(\.\d+)?$/.test(limit) ? Number(limit) : limit,
    };
  }

  function clearErrors() {
    state.itemErrors = {};
    state.fieldErrors = {};
    state.top = "";
  }

  function showApiError(error) {
    clearErrors();
    const loose = [];
    for (const [path, message] of Object.entries(error.fields ?? {})) {
      const where = errorPlace(path);
      const text = humanize(message);
      if (where.index !== undefined && where.index < state.items.length) {
        (state.itemErrors[where.index] ??= {})[where.field ?? ""] = text;
      } else if (SITUATION_FIELDS.includes(where.field)) {
        state.fieldErrors[where.field] = text;
      } else loose.push(`${path}: ${text}`);
    }
    const named = Object.keys(error.fields ?? {}).length > loose.length;
    state.top = [named ? t("live.fix_fields") : describe(error), ...loose].join(" ");
    render();
    el.querySelector(".live-item.invalid, .live-when [aria-invalid=true]")?.focus();
  }

  /** Check what the browser can before sending: "now" must be a clock time. */
  function ready() {
    clearErrors();
    if (CLOCK.test(state.now)) return true;
    state.fieldErrors.now = t("live.check.time");
    render();
    el.querySelector("#live-now").focus();
    return false;
  }

  async function run(publish) {
    const base = app.plan;
    if (!ready()) return;
    if (publish && !(await confirmAction(
      t("live.apply_confirm", { day: fmtDay(state.day), now: state.now, number: base.number }), t("live.apply")))) return;
    setRunning(true);
    try {
      state.result = await app.api.post(`/api/plans/${base.id}/replan`, requestBody(publish),
        { headers: { "If-Match": `"${base.version}"` } });
    } catch (error) {
      setRunning(false);
      if (error.status === 422) return showApiError(error);
      if (error.status === 409) await app.showPlan(base.id);
      state.top = error.status === 409 ? t("live.stale") : describe(error);
      return render();
    }
    state.outcome = await loadOutcome(state.result).catch(() => null);
    await finished(publish);
  }

  function setRunning(running) {
    for (const button of el.querySelectorAll(".live-actions .btn")) button.disabled = running;
    parts.status.textContent = running ? t("live.running") : "";
    parts.status.hidden = !running;
  }

  function failed(error) {
    state.top = describe(error);
    render();
  }

  async function finished(publish) {
    const made = state.result.plan;
    app.notify(t(publish ? "live.published_toast" : "live.whatif_toast", { number: made.number }), "success");
    app.markStale("versions");
    await app.refreshSeasons();
    if (publish) {
      state.items = [];
      await app.showPlan(made.id); // the published version is the new base (and re-renders this view)
    }
    render();
    parts.result.focus({ preventScroll: true });
    parts.result.scrollIntoView({ block: "start" });
  }

  async function open(tab) {
    await app.showPlan(state.result.plan.id);
    app.goTo(tab);
  }

  // --- the view ------------------------------------------------------------------------

  function head() {
    const plan = app.plan;
    return h("div", { class: "view-head" }, h("h2", {}, t("live.title")),
      plan ? h("span", { class: "live-base", id: "live-base", dataset: { planId: plan.id } }, t("live.base", { number: plan.number }), " ", badges(plan, { rules: false })) : null);
  }

  function setupCard() {
    parts.status = h("p", { class: "live-status", role: "status", hidden: true });
    const whatIf = h("button", { type: "button", class: "btn btn-primary", id: "live-whatif" }, t("live.whatif"));
    const apply = h("button", { type: "button", class: "btn", id: "live-apply" }, t("live.apply"));
    whatIf.addEventListener("click", () => run(false).catch(failed));
    apply.addEventListener("click", () => run(true).catch(failed));
    events.draw();
    return h("section", { class: "card live-setup", "aria-labelledby": "live-situation-title" },
      h("h3", { id: "live-situation-title" }, t("live.situation")),
      situation(),
      h("h3", {}, t("live.add_title")),
      events.add,
      events.list,
      h("p", { class: "form-error", id: "live-error", role: "alert", hidden: !state.top }, state.top),
      h("div", { class: "live-actions" }, whatIf, apply, parts.status),
      h("small", { class: "hint" }, t("live.whatif_hint")));
  }

  function render() {
    if (state.loadError) return fill(el, head(), h("p", { class: "message message-error", role: "alert" }, t("common.error", { message: describe(state.loadError) })));
    if (!app.plan) return fill(el, head(), h("p", { class: "empty" }, t("live.no_plan")));
    state.day = defaultDay();
    parts.result = h("section", { class: "live-result", id: "live-result", tabindex: "-1", "aria-label": t("live.result_title") });
    renderResult(parts.result, state.result, { trucks: trucks(), day: state.day, outcome: state.outcome, open });
    fill(el, head(), h("p", { class: "intro" }, t("live.intro")), h("div", { class: "live-grid" }, setupCard(), parts.result));
  }

  return { load, render };
}
