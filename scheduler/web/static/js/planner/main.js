// The planner's workspace: sign-in, season, tabs, and the shown plan version with its views.
import "./strings.js";
import "./strings-data.js";
import { t, applyI18n, bindLangSwitch } from "/static/js/i18n.js";
import { client } from "/static/js/api.js";
import { renderMap } from "/static/js/planner/map.js";
import { renderTimeline } from "/static/js/planner/timeline.js";
import { renderUnserved } from "/static/js/planner/unserved.js";
import { bindLogin, markExpired, mayPlan, showUser } from "./auth.js";
import { seasonPicker, rememberedSeason } from "./season.js";
import { catalogueView } from "./catalogue.js";
import { KINDS } from "./catalogue-kinds.js";
import { rulesView } from "./rules.js";
import { importView } from "./import.js";
import { versionsView } from "./versions.js";
import { liveView } from "./live.js";
import { jobRunner } from "./job.js";
import { renderPlanBar } from "./planbar.js";
import { renderKpis } from "./kpis.js";
import { notify, notifyError } from "./notify.js";

const TABS = ["plan", "live", "venues", "trucks", "films", "rules", "import", "versions"];
const TAB_KEY = "kt.planner.tab";
const $ = (id) => document.getElementById(id);
const viewEl = (name) => document.querySelector(`.view[data-view="${name}"]`);
const PLAN_VIEWS = [["map", renderMap], ["timeline", renderTimeline], ["unserved", renderUnserved]];

/** The workspace every view works with. */
const app = {
  api: client("planner"),
  user: null,
  seasons: [],
  /** @type {Object|null} the chosen season (GET /api/seasons item) */
  season: null,
  /** @type {Object|null} the shown plan version (GET /api/plans/{id}) */
  plan: null,
  tab: "plan",
  notify,
  showPlan,
  refreshSeasons,
  selectSeason,
  goTo,
  markStale: (tab) => stale.add(tab),
  jobs: null,
};

const views = {
  plan: { load: loadPlan, render: renderPlanView },
  venues: catalogueView(viewEl("venues"), KINDS.venues, app),
  trucks: catalogueView(viewEl("trucks"), KINDS.trucks, app),
  films: catalogueView(viewEl("films"), KINDS.films, app),
  rules: rulesView(viewEl("rules"), app),
  import: importView(viewEl("import"), app),
  versions: versionsView(viewEl("versions"), app),
  live: liveView(viewEl("live"), app),
};
const stale = new Set(TABS);
let drawn = false; // the plan views show the shown version
const picker = seasonPicker($("season-select"), $("season-info"), (id) => selectSeason(id));
app.jobs = jobRunner($("job-panel"), app);

// --- the shown plan version -----------------------------------------------------------

/**
 * Load a plan version and show it everywhere: plan bar, KPI cards, map, timeline, unserved.
 * @param {number|null} planId
 */
async function showPlan(planId) {
  if (planId === null || planId === undefined) {
    app.plan = null;
  } else {
    try {
      app.plan = await app.api.get(`/api/plans/${planId}`);
    } catch (error) {
      notifyError(error);
      return;
    }
  }
  renderPlanView();
  drawn = false;
  if (app.tab === "plan") await drawPlanViews();
  for (const tab of ["versions", "live"]) {
    if (app.tab === tab) await loadTab(tab);
    else stale.add(tab);
  }
}

function planContext() {
  return { api: app.api, plan: app.plan, season: app.season, showPlan, notify };
}

/** Draw the map, timeline and unserved list (only while the plan tab shows: a hidden
 * container has no size to fit a map to). */
async function drawPlanViews() {
  drawn = true;
  const ctx = planContext();
  await Promise.all(PLAN_VIEWS.map(async ([id, render]) => {
    const el = $(id);
    if (!app.plan) { el.replaceChildren(); return; }
    try {
      await render(el, app.plan, ctx);
    } catch (error) {
      notifyError(error);
    }
  }));
}

function renderPlanView() {
  renderPlanBar($("plan-bar"), app.plan, app);
  app.jobs.render();
  const empty = $("plan-empty");
  empty.hidden = Boolean(app.plan) || !app.season;
  empty.textContent = t("plan.none");
  document.querySelector(".plan-grid").hidden = !app.plan;
  $("timeline").hidden = !app.plan;
  if (app.plan) renderKpis($("kpis"), app.plan, app.season);
  else $("kpis").replaceChildren();
}

async function loadPlan() {
  const season = app.season;
  await showPlan(season ? season.published_plan_id ?? season.latest_plan_id : null);
}

// --- seasons --------------------------------------------------------------------------

/**
 * Reload the season list (counts, published and latest versions), keeping the chosen season.
 */
async function refreshSeasons() {
  try {
    app.seasons = await app.api.get("/api/seasons?limit=1000");
  } catch (error) {
    notifyError(error);
    return;
  }
  const chosen = app.seasons.find((s) => s.id === app.season?.id) ?? null;
  app.season = chosen;
  picker.show(app.seasons, chosen);
}

/**
 * Choose a season: its published (else latest) version is shown and every tab reloads.
 * @param {number|null} id
 */
async function selectSeason(id) {
  app.season = app.seasons.find((s) => s.id === id) ?? app.seasons[0] ?? null;
  picker.show(app.seasons, app.season);
  for (const tab of TABS) stale.add(tab);
  stale.delete("plan");
  await Promise.all([loadPlan(), app.jobs.resume(), app.tab === "plan" ? null : loadTab(app.tab)]);
}

// --- tabs -----------------------------------------------------------------------------

async function loadTab(tab) {
  stale.delete(tab);
  await views[tab].load();
  views[tab].render();
}

/**
 * Show a tab (its data is loaded when it changed since last shown).
 * @param {string} tab one of TABS
 */
function goTo(tab) {
  app.tab = TABS.includes(tab) ? tab : "plan";
  localStorage.setItem(TAB_KEY, app.tab);
  history.replaceState(null, "", `#${app.tab}`);
  for (const button of document.querySelectorAll("[data-tab]")) {
    const selected = button.dataset.tab === app.tab;
    button.setAttribute("aria-selected", String(selected));
    button.tabIndex = selected ? 0 : -1;
  }
  for (const name of TABS) viewEl(name).hidden = name !== app.tab;
  if (app.tab === "plan" && !drawn && app.plan) drawPlanViews();
  if (stale.has(app.tab) && app.season) loadTab(app.tab).catch(notifyError);
  else if (app.tab === "import") views.import.render();
}

function bindTabs() {
  const buttons = [...document.querySelectorAll("[data-tab]")];
  for (const button of buttons) {
    button.addEventListener("click", () => goTo(button.dataset.tab));
    button.addEventListener("keydown", (event) => {
      const step = { ArrowDown: 1, ArrowUp: -1 }[event.key];
      if (!step) return;
      event.preventDefault();
      const next = buttons[(buttons.indexOf(button) + step + buttons.length) % buttons.length];
      next.focus();
      goTo(next.dataset.tab);
    });
  }
  window.addEventListener("hashchange", () => goTo(location.hash.slice(1)));
}

// --- sign-in and start ----------------------------------------------------------------

async function start(user) {
  app.user = user;
  showUser($("user-name"), user);
  $("login-view").hidden = true;
  $("workspace").hidden = false;
  $("logout").hidden = false;
  goTo(location.hash.slice(1) || localStorage.getItem(TAB_KEY) || "plan");
  await refreshSeasons();
  const remembered = rememberedSeason();
  await selectSeason(app.seasons.some((s) => s.id === remembered) ? remembered : app.seasons[0]?.id ?? null);
  if (!app.season) goTo("import");
}

function showLogin() {
  $("workspace").hidden = true;
  $("logout").hidden = true;
  showUser($("user-name"), null);
  $("login-view").hidden = false;
  $("login-form").elements.username.focus();
}

function rerender() {
  showUser($("user-name"), app.user);
  if (!app.user) return;
  picker.show(app.seasons, app.season);
  for (const tab of TABS) if (tab === app.tab || !stale.has(tab)) views[tab].render();
}

async function boot() {
  applyI18n();
  bindLangSwitch(document.querySelector("[data-lang-switch]"));
  bindTabs();
  bindLogin($("login-form"), $("login-error"), app.api, (user) => start(user).catch(notifyError));
  $("logout").addEventListener("click", async () => {
    await app.api.logout();
    location.reload();
  });
  window.addEventListener("langchange", rerender);
  window.addEventListener("loggedout", (event) => {
    if (event.detail !== "planner" || !app.user) return;
    markExpired();
    location.reload();
  });
  if (!app.api.loggedIn()) return showLogin();
  let user;
  try {
    user = await app.api.get("/api/auth/me");
  } catch {
    return showLogin(); // the token expired: sign in again
  }
  if (!mayPlan(user)) {
    await app.api.logout();
    return showLogin();
  }
  await start(user);
}

boot().catch(notifyError);
