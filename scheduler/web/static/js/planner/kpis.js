// KPI cards of a plan version: screenings, audience, venues, okrugs, driving, truck utilisation.
import { t } from "/static/js/i18n.js";
import { h, fill, fmtNum, fmtPercent } from "./dom.js";

function card(key, label, value, raw, sub) {
  return h("div", { class: "kpi", dataset: { kpi: key } },
    h("div", { class: "kpi-label" }, label),
    h("div", { class: "kpi-value", dataset: { value: raw } }, value),
    sub ? h("div", { class: "kpi-sub" }, sub) : null);
}

function utilisation(kpis) {
  const rows = kpis.utilisation.map((use) => h("li", { dataset: { truck: use.truck_id }, title: t("kpi.utilisation_row", { used: fmtNum(use.used_h, 1), available: fmtNum(use.available_h, 1) }) },
    h("span", { class: "use-name" }, use.truck_name),
    h("span", { class: "use-bar", "aria-hidden": "true" }, h("span", { style: `width:${Math.min(100, use.utilisation * 100).toFixed(1)}%` })),
    h("span", { class: "use-value", dataset: { value: use.utilisation } }, fmtPercent(use.utilisation))));
  return h("div", { class: "kpi kpi-wide", dataset: { kpi: "utilisation" } },
    h("div", { class: "kpi-label" }, t("kpi.utilisation")),
    h("ul", { class: "use-list" }, rows));
}

/**
 * Fill `el` with the KPI cards of a plan version.
 * @param {HTMLElement} el
 * @param {Object} plan GET /api/plans/{id}
 * @param {{venues: number}|null} season the season summary (for "served of total")
 */
export function renderKpis(el, plan, season) {
  const k = plan.kpis;
  fill(el,
    card("screenings", t("kpi.screenings"), fmtNum(k.screenings), k.screenings, t("kpi.stops", { count: fmtNum(k.stops) })),
    card("expected_audience", t("kpi.audience"), fmtNum(k.expected_audience), k.expected_audience, t("kpi.audience_sub")),
    card("venues_served", t("kpi.venues"), fmtNum(k.venues_served), k.venues_served,
      season ? t("kpi.venues_sub", { total: fmtNum(season.venues) }) : null),
    card("okrugs_covered", t("kpi.okrugs"), fmtNum(k.okrugs_covered), k.okrugs_covered, k.okrugs.join(", ")),
    card("driving_h", t("kpi.driving"), fmtNum(k.driving_h, 1), k.driving_h, t("kpi.driving_sub")),
    utilisation(k));
}
