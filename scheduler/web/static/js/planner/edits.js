// Hand edits of a plan version from the timeline and the map: lock/unlock a stop or a
// truck-day, move a stop (menu or drag), swap a film, each checked by the validator first
// (dry run) and saved on confirm; and "re-plan the rest keeping the locks" with its job.
import { fmtDay, fmtTime, t } from "/static/js/i18n.js";
import { h } from "./dom.js";
import { ruleLabel } from "./views-strings.js";

// --- what a plan offers ----------------------------------------------------------------

/** Trucks of the plan's scenario [{id, name}] (the KPI list names every truck). */
export function planTrucks(plan) {
  const trucks = new Map();
  for (const u of plan.kpis?.utilisation || []) trucks.set(u.truck_id, { id: u.truck_id, name: u.truck_name });
  for (const r of plan.routes) if (!trucks.has(r.truck_id)) trucks.set(r.truck_id, { id: r.truck_id, name: r.truck_name });
  return [...trucks.values()];
}

/** Days a stop may go to: the season's days start..end (a season list item, or a season
 * read with its "season" block and excluded dates) and every day the plan has a route on;
 * sorted "YYYY-MM-DD". */
export function planDays(plan, season) {
  const days = new Set(plan.routes.map((r) => r.day));
  const span = season?.season ?? season;
  if (span?.start && span?.end) {
    const excluded = new Set(span.excluded_dates || []);
    for (let d = new Date(`${span.start}T00:00:00Z`); d <= new Date(`${span.end}T00:00:00Z`); d.setUTCDate(d.getUTCDate() + 1)) {
      const day = d.toISOString().slice(0, 10);
      if (!excluded.has(day)) days.add(day);
    }
  }
  return [...days].sort();
}

/** The route of a truck on a day, or undefined. */
export function findRoute(plan, truckId, day) {
  return plan.routes.find((r) => r.truck_id === truckId && r.day === day);
}

/** A stop's reference for the edit actions. */
export function stopRef(route, stop) {
  return {
    truck_id: route.truck_id, truck_name: route.truck_name, day: route.day, venue_id: stop.venue_id,
    venue_name: stop.venue_name, position: stop.position, locked: stop.locked, routeLocked: route.locked,
  };
}

const ifMatch = (plan) => ({ "If-Match": `"${plan.version}"` });

// --- locks -----------------------------------------------------------------------------

/** Lock or unlock a stop (venue_id) or a whole truck-day (venue_id null), then show the
 * refreshed version. Errors are reported through ctx.notify. */
export async function setLock(plan, ctx, { truck_id, day, venue_id = null, locked, label }) {
  try {
    await ctx.api.put(`/api/plans/${plan.id}/locks`, { truck_id, day, venue_id, locked }, { headers: ifMatch(plan) });
    ctx.notify(t(locked ? "pv.lockDone" : "pv.unlockDone", { what: label }), "success");
    await ctx.showPlan(plan.id);
  } catch (error) {
    ctx.notify(t("pv.error", { message: error.message }), "error");
  }
}

/** The actions on one stop: [{key, label, run}] (lock/unlock, move, swap film). */
export function stopActions(ref, plan, ctx) {
  const what = `${ref.venue_name} (${ref.truck_name}, ${fmtDay(ref.day)})`;
  const actions = [{
    key: "lock",
    label: t(ref.locked ? "pv.unlockStop" : "pv.lockStop"),
    run: () => setLock(plan, ctx, { truck_id: ref.truck_id, day: ref.day, venue_id: ref.venue_id, locked: !ref.locked, label: what }),
  }];
  if (!ref.locked && !ref.routeLocked) {
    actions.push({ key: "move", label: t("pv.moveTo"), run: () => openMoveDialog(ref, plan, ctx) });
    actions.push({ key: "film", label: t("pv.swapFilm"), run: () => openFilmDialog(ref, plan, ctx) });
  }
  return actions;
}

// --- the stop menu ---------------------------------------------------------------------

let openMenu = null;
function closeMenu() {
  if (!openMenu) return;
  openMenu.menu.hidden = true;
  openMenu.button.setAttribute("aria-expanded", "false");
  openMenu = null;
}
document.addEventListener("click", (event) => {
  if (openMenu && !openMenu.wrap.contains(event.target)) closeMenu();
});
/** Put the open menu under its button (above it when there is no room below). */
function placeMenu() {
  if (!openMenu) return;
  const { menu, button } = openMenu;
  const box = button.getBoundingClientRect();
  const below = box.bottom + 2 + menu.offsetHeight <= window.innerHeight;
  menu.style.left = `${Math.max(4, Math.min(box.left, window.innerWidth - menu.offsetWidth - 4))}px`;
  menu.style.top = `${below ? box.bottom + 2 : Math.max(4, box.top - 2 - menu.offsetHeight)}px`;
}
window.addEventListener("scroll", placeMenu, true);
window.addEventListener("resize", placeMenu);
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && openMenu) { const { button } = openMenu; closeMenu(); button.focus(); }
});

/** A "⋮" button with the stop's actions in a small menu (fixed, so a lane cannot clip it;
 * keyboard: Tab, Enter, Escape). */
export function stopMenu(ref, plan, ctx) {
  const menu = h("div", { class: "pv-menu", role: "menu", hidden: true });
  const button = h("button", {
    type: "button", class: "pv-menu-button", "aria-haspopup": "menu", "aria-expanded": "false",
    title: t("pv.stopMenu", { name: ref.venue_name }), "aria-label": t("pv.stopMenu", { name: ref.venue_name }),
  }, "⋮");
  const wrap = h("span", { class: "pv-menu-wrap" }, button, menu);
  for (const action of stopActions(ref, plan, ctx)) {
    menu.append(h("button", {
      type: "button", role: "menuitem", dataset: { action: action.key },
      onclick: (event) => { event.stopPropagation(); closeMenu(); action.run(); },
    }, action.label));
  }
  button.addEventListener("click", (event) => {
    event.stopPropagation();
    const wasOpen = openMenu?.menu === menu;
    closeMenu();
    if (wasOpen) return;
    menu.hidden = false;
    button.setAttribute("aria-expanded", "true");
    openMenu = { menu, button, wrap };
    placeMenu();
    menu.querySelector("button")?.focus({ preventScroll: true });
  });
  return wrap;
}

// --- the edit dialog: choose, dry run, verdict, save ------------------------------------

function dialog(title, className) {
  const verdict = h("div", { class: "pv-verdict", role: "status", "aria-live": "polite" });
  const actions = h("div", { class: "pv-dialog-actions" });
  const form = h("div", { class: "pv-dialog-form" });
  const box = h("dialog", { class: `dialog pv-dialog ${className}` },
    h("h2", {}, title), form, verdict, actions);
  box.addEventListener("close", () => box.remove());
  document.body.append(box);
  box.showModal();
  return { box, form, verdict, actions };
}

function field(label, control) {
  return h("label", { class: "pv-field" }, h("span", {}, label), control);
}

function select(options, value) {
  const el = h("select", {});
  for (const [v, text] of options) el.append(h("option", { value: v }, text));
  if (value !== undefined) el.value = String(value);
  return el;
}

function violationList(items) {
  return h("ul", { class: "pv-violations" }, items.map((v) =>
    h("li", { dataset: { rule: v.rule } }, h("strong", {}, `${ruleLabel(v.rule)}: `), v.message)));
}

/** 422 "detail" items ({loc: ["body", rule], msg}) as [{rule, message}]. */
function refusedRules(error) {
  const detail = Array.isArray(error.body?.detail) ? error.body.detail : [];
  const items = detail.map((d) => ({ rule: (d.loc || []).filter((p) => p !== "body").join(".") || "?", message: d.msg }));
  return items.length ? items : [{ rule: "?", message: error.message }];
}

function preview(result, target) {
  const route = result.changed_routes.find((r) => r.truck_id === target.truck_id && r.day === target.day);
  const stop = route?.stops.find((s) => s.venue_id === target.venue_id);
  if (!stop) return null;
  const shows = stop.screenings.map((s) => `«${s.title}» ${fmtTime(s.start)}–${fmtTime(s.end)}`).join(", ");
  return h("p", { class: "pv-preview" }, t("ed.after", {
    arrival: fmtTime(stop.arrival), shows, departure: fmtTime(stop.departure),
  }));
}

/**
 * Run an edit the way the planner sees it: a dry run with the verdict shown at once, then
 * "Save" (valid) or "Save as draft anyway" (broken rules); a refusal on save (422) lists the
 * rules and keeps the draft option. Returns {check(kind, body, target, key), note(state,
 * text)}: `kind` is "moves" or "films", `target` the stop's place after the edit (for the
 * preview), `key` names the choice (verdict[data-for]); a note replaces the verdict when
 * there is nothing to check, and makes a pending verdict stale.
 */
function editFlow(parts, plan, ctx) {
  const { verdict, actions, box } = parts;
  let sequence = 0;
  const cancel = h("button", { type: "button", class: "btn pv-secondary", onclick: () => box.close() }, t("pv.cancel"));
  const show = (...nodes) => verdict.replaceChildren(...nodes.filter(Boolean));
  const buttons = (...nodes) => actions.replaceChildren(...nodes, cancel);
  buttons();

  async function save(kind, body, asDraft) {
    show(h("p", {}, t("ed.saving")));
    buttons();
    try {
      const result = await ctx.api.post(`/api/plans/${plan.id}/${kind}`,
        { ...body, dry_run: false, save_as_draft: asDraft }, { headers: ifMatch(plan) });
      box.close();
      ctx.notify(t(result.valid ? "ed.saved" : "ed.savedDraft"), result.valid ? "success" : "info");
      await ctx.showPlan(result.plan_id);
    } catch (error) {
      if (error.status === 422) {
        const rules = refusedRules(error);
        verdict.dataset.state = "refused";
        show(h("p", { class: "pv-bad" }, t("ed.refused", { n: rules.length })), violationList(rules));
        buttons(h("button", { type: "button", class: "btn pv-draft", onclick: () => save(kind, body, true) }, t("ed.saveDraft")));
      } else {
        verdict.dataset.state = "error";
        show(h("p", { class: "pv-bad" }, t(error.status === 409 ? "ed.conflict" : "pv.error", { message: error.message })));
        buttons();
      }
    }
  }

  /** Say something instead of a verdict (nothing to check, or a choice that cannot be). */
  function note(state, text, className = "pv-muted") {
    ++sequence;
    verdict.dataset.state = state;
    show(text ? h("p", { class: className }, text) : null);
    buttons();
  }

  /** Check an edit (dry run) and offer to save it; `key` names the choice checked. */
  async function check(kind, body, target, key) {
    const mine = ++sequence;
    verdict.dataset.for = key;
    verdict.dataset.state = "checking";
    show(h("p", {}, t("ed.checking")));
    buttons();
    try {
      const result = await ctx.api.post(`/api/plans/${plan.id}/${kind}`, { ...body, dry_run: true }, { headers: ifMatch(plan) });
      if (mine !== sequence) return;
      verdict.dataset.state = result.valid ? "valid" : "invalid";
      if (result.valid) {
        show(h("p", { class: "pv-good" }, `✓ ${t("ed.valid")}`), preview(result, target));
        buttons(h("button", { type: "button", class: "btn btn-primary pv-confirm", onclick: () => save(kind, body, false) }, t("ed.confirm")));
      } else {
        show(h("p", { class: "pv-bad" }, `✗ ${t("ed.invalid", { n: result.violations.length })}`),
          violationList(result.violations), preview(result, target));
        buttons(h("button", { type: "button", class: "btn pv-draft", onclick: () => save(kind, body, true) }, t("ed.saveDraft")));
      }
    } catch (error) {
      if (mine !== sequence) return;
      verdict.dataset.state = "error";
      const message = error.status === 422 ? refusedRules(error).map((r) => `${r.rule}: ${r.message}`).join("; ") : error.message;
      show(h("p", { class: "pv-bad" }, t(error.status === 409 ? "ed.conflict" : "pv.error", { message })));
    }
  }

  return { check, note };
}

// --- move ------------------------------------------------------------------------------

function positionOptions(plan, ref, truckId, day) {
  const route = findRoute(plan, truckId, day);
  if (!route) return [[0, t("ed.positionNew")]];
  const same = route.truck_id === ref.truck_id && route.day === ref.day;
  const others = route.stops.filter((s) => !(same && s.venue_id === ref.venue_id));
  if (!others.length) return [[0, t("ed.positionOnly")]];
  return [
    ...others.map((s, i) => [i, t("ed.positionBefore", { n: i + 1, name: s.venue_name })]),
    [others.length, t("ed.positionLast", { n: others.length + 1 })],
  ];
}

/**
 * The "Move to…" dialog for a stop: truck, day and position selects; each choice is checked
 * at once (dry run). `to` ({truck_id, day, position}) presets the target (a drop on the
 * timeline) and checks it immediately.
 */
export function openMoveDialog(ref, plan, ctx, to = null) {
  const parts = dialog(t("ed.moveTitle", { name: ref.venue_name }), "pv-move");
  const { check, note } = editFlow(parts, plan, ctx);
  const target = to || { truck_id: ref.truck_id, day: ref.day, position: ref.position };
  const truck = select(planTrucks(plan).map((tr) => [tr.id, tr.name]), target.truck_id);
  const day = select(planDays(plan, ctx.season).map((d) => [d, fmtDay(d)]), target.day);
  const position = h("select", {});
  const fillPositions = (value) => {
    position.replaceChildren(...positionOptions(plan, ref, truck.value, day.value).map(([v, text]) => h("option", { value: v }, text)));
    position.value = String(Math.min(value, position.options.length - 1));
  };
  fillPositions(target.position);
  parts.form.append(
    h("p", { class: "pv-muted" }, t("ed.from", { truck: ref.truck_name, day: fmtDay(ref.day), position: ref.position + 1 })),
    h("div", { class: "pv-row" },
      field(t("pv.truck"), truck), field(t("pv.day"), day), field(t("pv.position"), position)),
  );
  const run = () => {
    const to_position = Number(position.value);
    if (truck.value === ref.truck_id && day.value === ref.day && to_position === ref.position) {
      note("idle", t(to ? "ed.same" : "ed.pickTarget"));
      return;
    }
    if (findRoute(plan, truck.value, day.value)?.locked) {
      note("locked", t("ed.targetLocked"), "pv-bad");
      return;
    }
    const body = {
      truck_id: ref.truck_id, day: ref.day, venue_id: ref.venue_id,
      to_truck_id: truck.value, to_day: day.value, to_position,
    };
    check("moves", body, { truck_id: truck.value, day: day.value, venue_id: ref.venue_id }, `${truck.value}/${day.value}/${to_position}`);
  };
  truck.addEventListener("change", () => { fillPositions(Number(position.value)); run(); });
  day.addEventListener("change", () => { fillPositions(Number(position.value)); run(); });
  position.addEventListener("change", run);
  run();
  (to ? parts.actions.querySelector("button") : truck)?.focus();
}

// --- swap a film -----------------------------------------------------------------------

let filmCache = { season: null, films: null };

async function seasonFilms(ctx, seasonId) {
  if (filmCache.season !== seasonId) {
    filmCache = { season: seasonId, films: await ctx.api.get(`/api/films?season_id=${seasonId}&limit=1000`) };
  }
  return filmCache.films;
}

/** The "Swap film…" dialog: which screening, which film; checked at once, saved on confirm. */
export async function openFilmDialog(ref, plan, ctx) {
  const stop = findRoute(plan, ref.truck_id, ref.day)?.stops.find((s) => s.venue_id === ref.venue_id);
  if (!stop) return;
  const parts = dialog(t("ed.filmTitle", { name: ref.venue_name }), "pv-film");
  const { check, note } = editFlow(parts, plan, ctx);
  const screening = select(stop.screenings.map((s, i) => [i, `${i + 1}: «${s.title}» ${fmtTime(s.start)}–${fmtTime(s.end)}`]), 0);
  const film = h("select", {}, h("option", { value: "" }, t("pv.loading")));
  parts.form.append(h("div", { class: "pv-row" }, field(t("pv.screening"), screening), field(t("pv.film"), film)));
  const current = () => stop.screenings[Number(screening.value)]?.film_id;
  const run = () => {
    if (!film.value || film.value === current()) {
      note("idle", null);
      return;
    }
    const body = {
      truck_id: ref.truck_id, day: ref.day, venue_id: ref.venue_id,
      screening_index: Number(screening.value), film_id: film.value,
    };
    check("films", body, { truck_id: ref.truck_id, day: ref.day, venue_id: ref.venue_id }, `${screening.value}/${film.value}`);
  };
  screening.addEventListener("change", () => { film.value = current(); run(); });
  film.addEventListener("change", run);
  try {
    const films = [...await seasonFilms(ctx, plan.season_id)].sort((a, b) => a.title.localeCompare(b.title));
    film.replaceChildren(...films.map((f) => h("option", { value: f.id }, `${f.title} (${f.rating}, ${t("pv.minutes", { n: f.runtime_min })})`)));
    film.value = current();
    film.focus();
  } catch (error) {
    note("error", t("ed.filmsFailed", { message: error.message }), "pv-bad");
  }
}

// --- re-plan keeping the locks -----------------------------------------------------------

const FINISHED = new Set(["done", "failed", "cancelled"]);

/** Poll GET /api/jobs/{id} until the job ends; onUpdate(job) on every answer. */
export async function followJob(api, jobId, onUpdate, intervalMs = 600) {
  for (;;) {
    const job = await api.get(`/api/jobs/${jobId}`);
    onUpdate(job);
    if (FINISHED.has(job.state)) return job;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

function jobText(job) {
  if (job.state === "queued") return t("rp.queued");
  if (job.state === "running") {
    return t("rp.running", {
      done: job.windows_done, total: job.windows_total || "?", elapsed: Math.round(job.elapsed_s),
      best: job.best_objective === null ? "—" : Math.round(job.best_objective),
    });
  }
  if (job.state === "done") return t("rp.done");
  if (job.state === "cancelled") return t("rp.cancelled");
  return t("rp.failed", { error: job.error || job.state });
}

/** The "re-plan the rest keeping the locks" control: a time limit, a button, the job's
 * progress (and a stop button); shows the new version when the job ends with one. */
export function replanControl(plan, ctx) {
  const stops = plan.routes.reduce((n, r) => n + r.stops.filter((s) => s.locked).length, 0);
  const days = plan.routes.filter((r) => r.locked).length;
  const seconds = h("input", { type: "number", min: 1, max: 3600, step: 1, value: 10, class: "pv-seconds", name: "replan-seconds" });
  const status = h("span", { class: "pv-job", role: "status", "aria-live": "polite" });
  const stop = h("button", { type: "button", class: "btn pv-secondary", hidden: true }, t("rp.cancel"));
  const start = h("button", { type: "button", class: "btn btn-primary pv-replan" }, t("rp.start"));
  let jobId = null;
  stop.addEventListener("click", async () => {
    try { await ctx.api.del(`/api/jobs/${jobId}`); } catch (error) { ctx.notify(t("pv.error", { message: error.message }), "error"); }
  });
  start.addEventListener("click", async () => {
    const limit = Number(seconds.value);
    if (!(limit >= 1 && limit <= 3600)) { seconds.setCustomValidity("1–3600"); seconds.reportValidity(); return; }
    seconds.setCustomValidity("");
    start.disabled = true;
    status.dataset.state = "running";
    status.textContent = t("rp.queued");
    try {
      const job = await ctx.api.post(`/api/seasons/${plan.season_id}/plans`, { base_plan_id: plan.id, time_limit_s: limit });
      jobId = job.id;
      stop.hidden = false;
      const update = (j) => { status.textContent = jobText(j); };
      const end = typeof ctx.followJob === "function" ? await ctx.followJob(job.id, update) : await followJob(ctx.api, job.id, update);
      stop.hidden = true;
      status.dataset.state = end.state;
      if (end.plan_id) {
        ctx.notify(jobText(end), end.state === "done" ? "success" : "info");
        await ctx.showPlan(end.plan_id);
      } else ctx.notify(jobText(end), "error");
    } catch (error) {
      status.dataset.state = "error";
      status.textContent = t("pv.error", { message: error.message });
      stop.hidden = true;
    } finally {
      start.disabled = false;
    }
  });
  return h("div", { class: "pv-replanbar" },
    h("strong", {}, t("rp.title")),
    h("span", { class: "pv-muted" }, t("rp.locks", { stops, days })),
    h("label", { class: "pv-inline" }, t("rp.seconds"), seconds),
    start, stop, status);
}

// --- the lock icon ---------------------------------------------------------------------

const SVG = "http://www.w3.org/2000/svg";

/** A small padlock (closed when locked), as inline SVG so it needs no font or file. */
export function lockIcon(locked = true) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 16 16");
  svg.setAttribute("class", `pv-lock-icon${locked ? " closed" : ""}`);
  svg.setAttribute("aria-hidden", "true");
  const shackle = document.createElementNS(SVG, "path");
  shackle.setAttribute("d", locked ? "M5 7V5a3 3 0 0 1 6 0v2" : "M5 7V5a3 3 0 0 1 6 0");
  shackle.setAttribute("fill", "none");
  shackle.setAttribute("stroke", "currentColor");
  shackle.setAttribute("stroke-width", "1.8");
  const body = document.createElementNS(SVG, "rect");
  for (const [k, v] of Object.entries({ x: 3, y: 7, width: 10, height: 8, rx: 1.5, fill: "currentColor" })) body.setAttribute(k, v);
  svg.append(shackle, body);
  return svg;
}
