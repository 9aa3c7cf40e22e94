// Modal dialogs (<dialog>): a form dialog and a yes/no question.
import { h, tx } from "./dom.js";

/**
 * Open a modal dialog with a title, a body and buttons; Escape or "Cancel" closes it.
 * @param {{title: string, body: Node, submitLabel: string, danger?: boolean,
 *   onSubmit: (submit: HTMLButtonElement) => (void|Promise<void>)}} options
 *   onSubmit runs on the submit button; the dialog stays open until close() is called.
 * @returns {{dialog: HTMLDialogElement, close: () => void}}
 */
export function openDialog({ title, body, submitLabel, danger = false, onSubmit }) {
  const submit = h("button", { type: "submit", class: danger ? "btn btn-danger" : "btn btn-primary" }, submitLabel);
  const cancel = tx("button", "common.cancel", { type: "button", class: "btn" });
  const form = h("form", { method: "dialog", novalidate: true },
    h("h2", { class: "dialog-title" }, title),
    h("div", { class: "dialog-body" }, body),
    h("div", { class: "dialog-actions" }, cancel, submit));
  const dialog = h("dialog", { class: "dialog" }, form);
  const close = () => { dialog.close(); dialog.remove(); };
  cancel.addEventListener("click", close);
  dialog.addEventListener("cancel", (event) => { event.preventDefault(); close(); });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    onSubmit(submit);
  });
  document.body.append(dialog);
  dialog.showModal();
  return { dialog, close };
}

/**
 * Ask a yes/no question in a modal dialog.
 * @param {string} message
 * @param {string} okLabel the confirming button's text
 * @param {{danger?: boolean}} [options]
 * @returns {Promise<boolean>}
 */
export function confirmAction(message, okLabel, { danger = false } = {}) {
  return new Promise((resolve) => {
    let answered = false;
    const { dialog, close } = openDialog({
      title: okLabel,
      body: h("p", {}, message),
      submitLabel: okLabel,
      danger,
      onSubmit: () => { answered = true; close(); },
    });
    dialog.addEventListener("close", () => resolve(answered));
  });
}
