// The season's rules: every rule with its label, unit and a short explanation; saved with If-Match.
import { t } from "/static/js/i18n.js";
import { h, fill, busy } from "./dom.js";
import { createForm } from "./form.js";
import { describe } from "./notify.js";

const RATINGS = ["0+", "6+", "12+", "16+", "18+"];
const rule = (key, type, unit, extra = {}) => ({ key, type, label: `rules.${key}`, help: `rules.${key}.help`, unit: unit && `rules.unit.${unit}`, ...extra });

/** The rules in the order a planner reads them: visits, screenings, the law, the driver, the buffers, the objective. */
const RULES = [
  rule("max_visits", "int", "visits"),
  rule("min_gap_days", "int", "days"),
  rule("max_screenings_per_stop", "int", "screenings"),
  rule("screening_gap_min", "int", "min"),
  rule("slot_min", "int", "min", { nullable: true }),
  rule("silence_start", "clock", "clock"),
  rule("silence_end", "clock", "clock"),
  rule("ttk_ban_start", "clock", "clock"),
  rule("ttk_ban_end", "clock", "clock"),
  rule("late_rating", "select", "rating", { options: RATINGS }),
  rule("late_rating_after", "clock", "clock"),
  rule("break_min", "int", "min"),
  rule("max_work_before_break_min", "int", "min"),
  rule("screening_is_driver_rest", "bool", null),
  rule("drive_buffer_pct", "number", "pct"),
  rule("arrival_margin_min", "int", "min"),
  rule("end_margin_min", "int", "min"),
  rule("repeat_visit_factor", "number", "share"),
  rule("second_screening_factor", "number", "share"),
  rule("travel_cost_per_hour", "number", "points_h"),
  rule("okrug_share_target", "number", "share"),
  rule("okrug_bonus", "number", "bonus"),
  rule("window_days", "int", "days"),
  rule("timezone", "text", "zone"),
];

/**
 * The rules editor of the chosen season.
 * @param {HTMLElement} el the view's container
 * @param {Object} app the workspace: api, season, notify, refreshSeasons
 * @returns {{load: () => Promise<void>, render: () => void}}
 */
export function rulesView(el, app) {
  const state = { rules: null, etag: null, error: null };

  async function load() {
    if (!app.season) return;
    state.error = null;
    state.rules = null;
    render();
    try {
      const response = await app.api.request(`/api/seasons/${app.season.id}/rules`, { raw: true });
      state.etag = response.headers.get("ETag");
      state.rules = await response.json();
    } catch (error) {
      state.error = error;
    }
    render();
  }

  function render(message = "") {
    const head = h("div", { class: "view-head" }, h("h2", {}, t("rules.title")));
    if (state.error) return fill(el, head, h("p", { class: "message message-error", role: "alert" }, t("common.error", { message: describe(state.error) })));
    if (!state.rules) return fill(el, head, h("p", { class: "empty" }, t("common.loading")));
    const form = createForm(RULES, state.rules, { className: "form-rows" });
    const save = h("button", { type: "submit", class: "btn btn-primary" }, t("common.save"));
    const element = h("form", { class: "card rules", novalidate: true }, h("p", { class: "intro" }, t("rules.intro")), form.el, h("div", { class: "form-actions" }, save));
    element.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(save, () => submit(form), (error) => form.showErrors({}, describe(error)));
    });
    fill(el, head, element);
    if (message) form.showErrors({}, message);
  }

  async function submit(form) {
    const { value, problems } = form.read();
    if (Object.keys(problems).length) return form.showErrors(problems);
    try {
      const response = await app.api.request(`/api/seasons/${app.season.id}/rules`, {
        method: "PUT", body: value, headers: { "If-Match": state.etag }, raw: true,
      });
      state.etag = response.headers.get("ETag");
      state.rules = await response.json();
    } catch (error) {
      if (error.status === 422) return form.showErrors(error.fields);
      if (error.status === 409) {
        await load();
        return render(t("common.stale"));
      }
      throw error;
    }
    app.notify(t("rules.saved"), "success");
    render();
    await app.refreshSeasons();
  }

  // The language switch re-translates the form in place (data-i18n): keep the planner's edits.
  return { load, render: () => { if (!el.querySelector("form.rules")) render(); } };
}
