// "Plan": start a solve job, follow it every ~700 ms (progress, best objective, time), cancel it.
import { t } from "/static/js/i18n.js";
import { h, fill, busy, fmtNum } from "./dom.js";
import { humanize } from "./form.js";
import { describe, notifyError } from "./notify.js";

const POLL_MS = 700;
const ACTIVE = new Set(["queued", "running"]);

/**
 * The solve controls (time limit + "Plan") and the progress panel of the chosen season.
 * @param {HTMLElement} panel the progress panel's container
 * @param {Object} app the workspace: api, season, plan, showPlan, refreshSeasons, notify
 * @returns {{controls: () => HTMLElement, resume: () => Promise<void>, render: () => void}}
 */
export function jobRunner(panel, app) {
  const state = { job: null, limit: "", message: null, timer: null, seasonId: null };
  let startButton = null;

  function controls() {
    const input = h("input", {
      id: "time-limit", type: "number", min: 1, max: 3600, step: 1, inputmode: "numeric",
      value: state.limit, placeholder: t("job.time_limit_default"), title: t("job.time_limit_hint"),
    });
    input.addEventListener("input", () => { state.limit = input.value; });
    startButton = h("button", { type: "button", class: "btn btn-primary", id: "plan-start", disabled: running() }, t("job.start"));
    startButton.addEventListener("click", () => busy(startButton, start, notifyError).then(syncButton));
    return h("div", { class: "job-controls" },
      h("label", { class: "inline-field", for: "time-limit" }, t("job.time_limit")), input, startButton);
  }

  const running = () => Boolean(state.job && ACTIVE.has(state.job.state));
  const syncButton = () => { if (startButton) startButton.disabled = running() || !app.season; };

  async function start() {
    state.message = null;
    const body = { time_limit_s: state.limit === "" ? null : Number(state.limit) };
    if (app.plan) body.base_plan_id = app.plan.id;
    try {
      follow(await app.api.post(`/api/seasons/${app.season.id}/plans`, body));
    } catch (error) {
      if (error.status === 409) {
        state.message = { kind: "error", text: t("job.busy", { reason: describe(error) }) };
        await resume();
        return;
      }
      const fields = Object.values(error.fields || {});
      state.message = { kind: "error", text: fields.length ? fields.map(humanize).join("; ") : describe(error) };
      render();
    }
  }

  function follow(job) {
    clearTimeout(state.timer);
    state.job = job;
    state.seasonId = job.season_id;
    render();
    if (ACTIVE.has(job.state)) state.timer = setTimeout(poll, POLL_MS);
    else finish();
  }

  async function poll() {
    const id = state.job.id;
    try {
      const job = await app.api.get(`/api/jobs/${id}`);
      if (state.job?.id === id) follow(job);
    } catch (error) {
      state.message = { kind: "error", text: t("common.error", { message: describe(error) }) };
      state.job = null;
      render();
    }
  }

  async function finish() {
    const job = state.job;
    syncButton();
    if (job.state === "done") {
      state.job = null;
      render();
      await app.refreshSeasons();
      await app.showPlan(job.plan_id);
      app.notify(t("job.done", { number: app.plan?.number ?? "" }), "success");
      return;
    }
    if (job.state === "failed") state.message = { kind: "error", text: t("job.failed", { error: job.error || "?" }) };
    else state.message = { kind: "warn", text: job.plan_id ? t("job.cancelled") : t("job.cancelled_none"), draft: job.plan_id };
    state.job = null;
    render();
    if (job.plan_id) await app.refreshSeasons();
  }

  async function cancel(button) {
    await busy(button, async () => follow(await app.api.del(`/api/jobs/${state.job.id}`)), notifyError);
  }

  /** Follow the season's running job, if any (after a reload or a season switch). */
  async function resume() {
    clearTimeout(state.timer);
    state.job = null;
    if (state.seasonId !== app.season?.id) state.message = null;
    state.seasonId = app.season?.id ?? null;
    render();
    if (!app.season) return;
    try {
      const jobs = await app.api.get(`/api/jobs?season_id=${app.season.id}&limit=5`);
      const active = jobs.find((job) => ACTIVE.has(job.state));
      if (active && state.seasonId === active.season_id) follow(active);
    } catch (error) {
      notifyError(error);
    }
  }

  function progress(job) {
    const total = job.windows_total;
    const share = total ? Math.min(1, job.windows_done / total) : 0;
    return h("div", {
      class: `progress${total ? "" : " progress-unknown"}`, role: "progressbar", id: "job-progress",
      "aria-valuemin": 0, "aria-valuemax": total || null, "aria-valuenow": total ? job.windows_done : null,
      "aria-label": t(`job.state.${job.state}`),
    }, h("span", { class: "progress-fill", style: `width:${(share * 100).toFixed(1)}%` }));
  }

  function render() {
    syncButton();
    const job = state.job;
    if (job) {
      const stop = h("button", { type: "button", class: "btn", disabled: job.cancel_requested }, t("job.cancel"));
      stop.addEventListener("click", () => cancel(stop));
      panel.hidden = false;
      fill(panel, h("div", { class: "job-row" },
        h("strong", { class: "job-state" }, t(`job.state.${job.state}`)),
        progress(job),
        h("span", { class: "job-stat" }, job.windows_total ? t("job.windows", { done: job.windows_done, total: job.windows_total }) : t("job.windows_unknown")),
        h("span", { class: "job-stat", id: "job-best" }, job.best_objective === null ? t("job.best_none") : t("job.best", { value: fmtNum(job.best_objective, 1) })),
        h("span", { class: "job-stat" }, t("job.elapsed", { seconds: fmtNum(job.elapsed_s, 1) })),
        stop));
      return;
    }
    if (!state.message) { panel.hidden = true; fill(panel); return; }
    const hide = h("button", { type: "button", class: "btn btn-quiet" }, t("job.dismiss"));
    hide.addEventListener("click", () => { state.message = null; render(); });
    const draft = state.message.draft;
    const open = draft && app.plan?.id !== draft ? h("button", { type: "button", class: "btn" }, t("job.open_draft")) : null;
    open?.addEventListener("click", () => app.showPlan(draft));
    panel.hidden = false;
    fill(panel, h("div", { class: `job-row message-${state.message.kind}`, role: "alert" },
      h("span", { class: "job-message" }, state.message.text), open, hide));
  }

  return { controls, resume, render };
}
