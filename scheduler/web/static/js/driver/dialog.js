// One modal dialog for the driver's questions (how late? a breakdown? cannot reach?).
import { t } from "../i18n.js";
import { h } from "./dom.js";

/**
 * Ask with big buttons; resolves {value, note} for the button tapped, or null on cancel.
 * @param {{title: string, options: {label: string, value: any, danger?: boolean}[], note?: string}} ask
 *   note: the label of an optional free-text field
 * @returns {Promise<{value: any, note: string}|null>}
 */
export function ask({ title, options, note }) {
  const dialog = h("dialog", { class: "kt-dialog", "aria-labelledby": "kt-dialog-title" });
  const noteField = note ? h("textarea", { rows: 2, maxlength: 500, id: "kt-dialog-note" }) : null;
  return new Promise((resolve) => {
    const close = (result) => {
      dialog.close();
      dialog.remove();
      resolve(result);
    };
    dialog.append(
      h("h2", { id: "kt-dialog-title" }, title),
      noteField ? h("label", { for: "kt-dialog-note" }, note) : null,
      noteField,
      h("div", { class: "kt-dialog-options" },
        options.map((option) => h("button", {
          type: "button",
          class: option.danger ? "kt-btn kt-danger" : "kt-btn kt-primary",
          onclick: () => close({ value: option.value, note: noteField ? noteField.value.trim() : "" }),
        }, option.label))),
      h("button", { type: "button", class: "kt-btn kt-secondary", onclick: () => close(null) }, t("dialog.cancel")),
    );
    dialog.addEventListener("cancel", (event) => { event.preventDefault(); close(null); });
    document.body.append(dialog);
    dialog.showModal();
  });
}
