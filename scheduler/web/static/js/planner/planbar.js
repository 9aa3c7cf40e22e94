// The bar above the plan: version number, draft / published badges, Publish, Plan, Export.
import { t } from "/static/js/i18n.js";
import { h, fill, busy, fmtDateTime } from "./dom.js";
import { exportMenu } from "./exports.js";
import { describe } from "./notify.js";

/**
 * A plan kind ("solve", "edit", ...) in words.
 * @param {string} kind
 * @returns {string}
 */
export function kindLabel(kind) {
  const key = `plan.kind.${kind}`;
  const text = t(key);
  return text === key ? kind : text;
}

/**
 * The version's badges: published, draft and (unless `rules` is false) rules kept or broken.
 * @param {{draft: boolean, published: boolean, violation_count: number}} plan
 * @param {{rules?: boolean}} [options]
 * @returns {HTMLElement[]}
 */
export function badges(plan, { rules = true } = {}) {
  const verdict = plan.violation_count
    ? h("span", { class: "badge badge-bad" }, t("plan.badge.violations", { count: plan.violation_count }))
    : h("span", { class: "badge badge-ok" }, t("plan.badge.ok"));
  return [
    plan.published ? h("span", { class: "badge badge-published" }, t("plan.badge.published")) : null,
    plan.draft ? h("span", { class: "badge badge-draft" }, t("plan.badge.draft")) : null,
    rules ? verdict : null,
  ].filter(Boolean);
}

async function publish(plan, app) {
  try {
    await app.api.post(`/api/plans/${plan.id}/publish`, undefined, { headers: { "If-Match": `"${plan.version}"` } });
  } catch (error) {
    if (error.status !== 409) throw error;
    app.notify(t("plan.publish_refused", { reason: describe(error) }), "error");
    await app.showPlan(plan.id);
    return;
  }
  app.notify(t("plan.published", { number: plan.number }), "success");
  await app.refreshSeasons();
  await app.showPlan(plan.id);
}

/**
 * Fill the plan bar for the shown version (or for none).
 * @param {HTMLElement} el
 * @param {Object|null} plan GET /api/plans/{id}
 * @param {Object} app the workspace: api, notify, showPlan, refreshSeasons, jobs
 */
export function renderPlanBar(el, plan, app) {
  const jobControls = app.jobs.controls();
  if (!plan) {
    fill(el, h("div", { class: "plan-title" }, h("h2", {}, t("tab.plan"))), h("div", { class: "plan-actions" }, jobControls));
    return;
  }
  const by = plan.created_by ? t("plan.by", { name: plan.created_by }) : "";
  const publishButton = h("button", { type: "button", class: "btn", id: "publish", disabled: plan.published }, t("plan.publish"));
  publishButton.addEventListener("click", () => busy(publishButton, () => publish(plan, app), (error) => app.notify(t("common.error", { message: describe(error) }), "error")));
  const meta = [t("plan.created", { kind: kindLabel(plan.kind), when: fmtDateTime(plan.created_at), by }), plan.note].filter(Boolean).join(" · ");
  fill(el,
    h("div", { class: "plan-title" },
      h("div", { class: "plan-heading" },
        h("h2", { id: "plan-version", dataset: { planId: plan.id, number: plan.number } }, t("plan.version", { number: plan.number })),
        badges(plan)),
      h("span", { class: "plan-meta", title: meta }, meta)),
    h("div", { class: "plan-actions" }, publishButton, exportMenu(plan, app), jobControls));
}
