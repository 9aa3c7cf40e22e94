// Import: an .xlsx workbook or CSV files (POST /api/import); every row error listed, or the counts.
import { t } from "/static/js/i18n.js";
import { h, tx, fill, busy } from "./dom.js";
import { humanize } from "./form.js";
import { describe, notifyError } from "./notify.js";

const KINDS = ["venues", "films", "trucks"];
const FIELDS = ["workbook", ...KINDS, "season_name", "start", "end"];

function fileField(name, label, accept) {
  const input = h("input", { type: "file", name, accept, class: "file-input" });
  const chosen = tx("span", "import.no_file", { class: "file-name" });
  input.addEventListener("change", () => {
    const file = input.files[0];
    if (file) { delete chosen.dataset.i18n; chosen.textContent = file.name; } else { chosen.dataset.i18n = "import.no_file"; chosen.textContent = t("import.no_file"); }
  });
  return h("div", { class: "field", dataset: { field: name } },
    tx("span", label, { class: "field-label" }),
    h("label", { class: "file-pick" }, input, tx("span", "import.choose", { class: "btn btn-small" }), chosen),
    h("p", { class: "field-error", role: "alert", hidden: true }));
}

function textField(name, label, type) {
  return h("label", { class: "field", dataset: { field: name } },
    tx("span", label, { class: "field-label" }),
    h("input", { type, name, autocomplete: "off" }),
    h("p", { class: "field-error", role: "alert", hidden: true }));
}

/** Every [where, message] of a 422 answer, in the API's order (two problems may share a place). */
function problemList(error) {
  const detail = error.body && Array.isArray(error.body.detail) ? error.body.detail : null;
  if (!detail) return Object.entries(error.fields);
  return detail.map((item) => [(item.loc || []).filter((part) => part !== "body").join("."), item.msg]);
}

/**
 * The import view.
 * @param {HTMLElement} el the view's container
 * @param {Object} app the workspace: api, notify, refreshSeasons, selectSeason
 * @returns {{load: () => Promise<void>, render: () => void}}
 */
export function importView(el, app) {
  let result = null; // {ok: ImportOut} | {errors: string[]} | {message: string}

  /** Build the form; the language switch re-translates it in place and keeps the chosen files. */
  function build() {
    const submit = tx("button", "import.submit", { type: "submit", class: "btn btn-primary" });
    const form = h("form", { class: "card import-form", novalidate: true },
      tx("p", "import.intro", { class: "intro" }),
      h("div", { class: "import-files" },
        fileField("workbook", "import.workbook", ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        tx("p", "import.or_csv", { class: "or" }),
        KINDS.map((kind) => fileField(kind, `import.${kind}`, ".csv,text/csv"))),
      h("fieldset", { class: "import-season" }, tx("legend", "import.season"),
        textField("season_name", "import.season_name", "text"),
        textField("start", "import.start", "date"),
        textField("end", "import.end", "date")),
      h("div", { class: "form-actions" }, submit));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(submit, () => send(form), (error) => show({ message: describe(error) }));
    });
    fill(el, h("div", { class: "view-head" }, tx("h2", "import.title")), form, h("div", { id: "import-result" }));
  }

  function render() {
    if (!el.querySelector("form.import-form")) build();
    show(result);
  }

  function markFields(fields) {
    for (const row of el.querySelectorAll(".field")) {
      const message = fields[row.dataset.field];
      const line = row.querySelector(".field-error");
      line.textContent = message ? humanize(message) : "";
      line.hidden = !message;
      row.classList.toggle("invalid", Boolean(message));
    }
  }

  function show(next) {
    result = next;
    const box = el.querySelector("#import-result");
    if (!box) return;
    if (!result) return fill(box);
    if (result.message) return fill(box, h("p", { class: "message message-error", role: "alert" }, result.message));
    if (result.errors) {
      return fill(box, h("div", { class: "message message-error", role: "alert" },
        h("p", {}, t("import.errors", { count: result.errors.length })),
        h("ul", { class: "import-errors" }, result.errors.map((line) => h("li", {}, line)))));
    }
    const { created, updated, season_id: seasonId } = result.ok;
    const lines = KINDS.filter((kind) => kind in created || kind in updated).map((kind) =>
      h("li", {}, t("import.counts", { kind: t(`kind.${kind}`), created: created[kind] ?? 0, updated: updated[kind] ?? 0 })));
    const open = seasonId ? h("button", { type: "button", class: "btn" }, t("import.open_season")) : null;
    open?.addEventListener("click", () => busy(open, async () => { await app.selectSeason(seasonId); app.goTo("plan"); }, notifyError));
    fill(box, h("div", { class: "message message-ok", role: "status" },
      h("p", {}, t("import.ok"), seasonId ? ` ${t("import.season_made", { id: seasonId })}` : ""),
      h("ul", { class: "import-counts" }, lines), open));
  }

  async function send(form) {
    const data = new FormData();
    for (const name of FIELDS) {
      const input = form.elements[name];
      if (input.type === "file") { if (input.files.length) data.append(name, input.files[0]); }
      else if (input.value.trim()) data.append(name, input.value.trim());
    }
    markFields({});
    if (!KINDS.concat("workbook").some((name) => data.has(name))) return show({ message: t("import.nothing") });
    try {
      const ok = await app.api.request("/api/import", { method: "POST", form: data });
      build();
      show({ ok });
      app.notify(t("import.ok"), "success");
      await app.refreshSeasons();
    } catch (error) {
      if (error.status !== 422) return show({ message: describe(error) });
      const problems = problemList(error);
      markFields(Object.fromEntries(problems.filter(([key]) => FIELDS.includes(key))));
      const rows = problems.filter(([key]) => !FIELDS.includes(key)).map(([key, msg]) => `${key}: ${msg}`);
      show(rows.length ? { errors: rows } : { message: t("form.errors") });
    }
  }

  return { load: async () => {}, render };
}
