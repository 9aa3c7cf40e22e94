// The season's plan versions: open one, roll back to one, compare two side by side.
import { t, fmtDay, fmtTime } from "/static/js/i18n.js";
import { h, fill, busy, fmtNum, fmtDateTime } from "./dom.js";
import { dataTable } from "./table.js";
import { confirmAction } from "./dialog.js";
import { badges, kindLabel } from "./planbar.js";
import { describe, notifyError } from "./notify.js";

/** Rows of the comparison: label key, how to read the number from a side, fraction digits. */
const METRICS = [
  ["kpi.screenings", (s) => s.kpis.screenings, 0],
  ["versions.stops", (s) => s.kpis.stops, 0],
  ["kpi.audience", (s) => s.kpis.expected_audience, 0],
  ["kpi.venues", (s) => s.kpis.venues_served, 0],
  ["kpi.okrugs", (s) => s.kpis.okrugs_covered, 0],
  ["kpi.driving", (s) => s.kpis.driving_h, 1],
  ["versions.objective", (s) => s.plan.objective, 1],
  ["versions.violations", (s) => s.plan.violation_count, 0],
];

function signed(value, digits) {
  if (!value) return "0";
  return `${value > 0 ? "+" : "−"}${fmtNum(Math.abs(value), digits)}`;
}

/**
 * The versions view of the chosen season.
 * @param {HTMLElement} el the view's container
 * @param {Object} app the workspace: api, season, plan, showPlan, refreshSeasons, notify, goTo
 * @returns {{load: () => Promise<void>, render: () => void}}
 */
export function versionsView(el, app) {
  const state = { versions: null, error: null, a: null, b: null, comparison: null, compareError: null };
  const sort = { key: "number", dir: -1 };

  async function load() {
    if (!app.season) return;
    state.error = null;
    try {
      state.versions = await app.api.get(`/api/plans?season_id=${app.season.id}`);
      const ids = state.versions.map((v) => v.id);
      if (!ids.includes(state.a)) state.a = app.season.published_plan_id ?? ids.at(-1) ?? null;
      if (!ids.includes(state.b)) state.b = app.plan?.id ?? app.season.latest_plan_id ?? null;
      if (state.comparison && !(ids.includes(state.comparison.a.plan.id) && ids.includes(state.comparison.b.plan.id))) state.comparison = null;
    } catch (error) {
      state.versions = null;
      state.error = error;
    }
    render();
  }

  function columns() {
    return [
      { key: "number", label: t("versions.number"), numeric: true, value: (v) => v.number },
      { key: "kind", label: t("versions.kind"), value: (v) => kindLabel(v.kind),
        cell: (v) => h("span", { class: "two-lines" }, kindLabel(v.kind), v.note ? h("small", { title: v.note }, v.note) : null) },
      { key: "created", label: t("versions.created"), value: (v) => v.created_at,
        cell: (v) => h("span", { class: "two-lines" }, fmtDateTime(v.created_at), v.created_by ? h("small", {}, v.created_by) : null) },
      { key: "state", label: t("versions.state"), value: (v) => (v.published ? 0 : v.draft ? 2 : 1),
        cell: (v) => h("span", { class: "badges" }, badges(v, { rules: false }), app.plan?.id === v.id ? h("span", { class: "badge badge-shown" }, t("versions.shown")) : null) },
      { key: "objective", label: t("versions.objective"), numeric: true, value: (v) => v.objective, cell: (v) => fmtNum(v.objective, 1) },
      { key: "screenings", label: t("versions.screenings"), numeric: true, value: (v) => v.stats.screenings },
      { key: "venues", label: t("versions.venues"), numeric: true, value: (v) => v.stats.served_venues },
      { key: "travel", label: t("versions.travel"), numeric: true, value: (v) => v.stats.travel_min / 60, cell: (v) => fmtNum(v.stats.travel_min / 60, 1) },
      { key: "violations", label: t("versions.violations"), numeric: true, value: (v) => v.violation_count,
        cell: (v) => h("span", { class: v.violation_count ? "bad" : null }, fmtNum(v.violation_count)) },
    ];
  }

  function actions(version) {
    const open = h("button", { type: "button", class: "btn btn-small" }, t("versions.open"));
    open.addEventListener("click", () => busy(open, async () => { await app.showPlan(version.id); app.goTo("plan"); }, notifyError));
    const back = h("button", { type: "button", class: "btn btn-small" }, t("versions.rollback"));
    back.addEventListener("click", () => busy(back, () => rollback(version), notifyError));
    return [open, back];
  }

  async function rollback(version) {
    if (!(await confirmAction(t("versions.rollback_confirm", { number: version.number }), t("versions.rollback")))) return;
    const made = await app.api.post(`/api/plans/${version.id}/rollback`);
    app.notify(t("versions.rolled_back", { number: made.number, from: version.number }), "success");
    await app.refreshSeasons();
    await app.showPlan(made.id);
    await load();
  }

  function picker(id, label, value, onChange) {
    const select = h("select", { id }, state.versions.map((v) =>
      h("option", { value: v.id }, `${t("plan.version", { number: v.number })} · ${kindLabel(v.kind)}`)));
    if (value !== null) select.value = String(value);
    select.addEventListener("change", () => onChange(Number(select.value)));
    return h("label", { class: "inline-field" }, h("span", {}, label), select);
  }

  async function compare(button) {
    if (state.a === state.b) {
      state.compareError = t("versions.compare_same");
      return render();
    }
    await busy(button, async () => {
      state.comparison = await app.api.get(`/api/plans/compare?a=${state.a}&b=${state.b}`);
      state.compareError = null;
    }, (error) => { state.compareError = describe(error); });
    render();
  }

  function render() {
    const head = h("div", { class: "view-head" }, h("h2", {}, t("versions.title")));
    if (state.error) return fill(el, head, h("p", { class: "message message-error", role: "alert" }, t("common.error", { message: describe(state.error) })));
    if (!state.versions) return fill(el, head, h("p", { class: "empty" }, t("common.loading")));
    if (!state.versions.length) return fill(el, head, h("p", { class: "empty" }, t("versions.empty")));
    const table = dataTable(columns(), { actions, actionsLabel: t("table.actions"), sort, rowAttrs: (v) => ({ dataset: { planId: v.id }, class: app.plan?.id === v.id ? "row-current" : null }) });
    table.update(state.versions);
    const go = h("button", { type: "button", class: "btn btn-primary", id: "compare" }, t("versions.compare"));
    go.addEventListener("click", () => compare(go));
    const bar = h("div", { class: "compare-bar" },
      picker("compare-a", t("versions.compare_a"), state.a, (id) => { state.a = id; }),
      picker("compare-b", t("versions.compare_b"), state.b, (id) => { state.b = id; }), go);
    fill(el, head, table.el, h("h3", {}, t("versions.compare_title")), bar,
      state.compareError ? h("p", { class: "message message-error", role: "alert" }, state.compareError) : null,
      state.comparison ? comparisonView(state.comparison) : null);
  }

  return { load, render };
}

function comparisonView(c) {
  const trucks = new Map([...c.a.kpis.utilisation, ...c.b.kpis.utilisation].map((u) => [u.truck_id, u.truck_name]));
  const heading = (side) => h("th", { scope: "col" }, t("plan.version", { number: side.plan.number }), " ", badges(side.plan));
  const metric = ([label, read, digits]) => h("tr", {},
    h("th", { scope: "row" }, label),
    h("td", { class: "num" }, fmtNum(read(c.a), digits)),
    h("td", { class: "num" }, fmtNum(read(c.b), digits)),
    h("td", { class: "num delta" }, signed(read(c.b) - read(c.a), digits)));
  const use = (id) => (side) => side.kpis.utilisation.find((u) => u.truck_id === id)?.utilisation * 100 || 0;
  const utilisation = [...trucks].map(([id, name]) => metric([`${t("kpi.utilisation")}: ${name}, %`, use(id), 0]));
  const table = h("table", { class: "data compare-table" },
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("versions.metric")), heading(c.a), heading(c.b), h("th", { scope: "col" }, t("versions.delta")))),
    h("tbody", {}, METRICS.map(([key, read, digits]) => metric([t(key), read, digits])), utilisation));
  const place = (p) => (p ? t("versions.place", { truck: trucks.get(p.truck_id) ?? p.truck_id, time: fmtTime(p.arrival), position: p.position + 1 }) : "—");
  const change = (s) => h("li", {}, h("strong", {}, s.venue_name), ` · ${fmtDay(s.day)}: `,
    s.a && s.b ? `${place(s.a)} → ${place(s.b)}` : place(s.a ?? s.b),
    s.minutes ? ` (${t("versions.minutes", { sign: s.minutes > 0 ? "+" : "−", minutes: fmtNum(Math.abs(s.minutes)) })})` : "");
  const list = (key, items) => h("section", { class: "change-list", dataset: { change: key } },
    h("h4", {}, t(`versions.${key}`, { count: items.length })),
    items.length ? h("ul", {}, items.map(change)) : h("p", { class: "empty" }, t("versions.none")));
  const same = ["added", "dropped", "moved", "retimed"].every((key) => c[key].length === 0);
  return h("div", { class: "comparison", id: "comparison" },
    h("div", { class: "table-wrap" }, table),
    same ? h("p", { class: "message message-ok" }, t("versions.no_changes")) : null,
    h("div", { class: "change-grid" }, ["added", "dropped", "moved", "retimed"].map((key) => list(key, c[key]))));
}
