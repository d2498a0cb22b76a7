// The screening desk and organizer pages: confirmation dialogs, drag-and-drop slot moves and
// copy buttons. Served from our origin (the Content-Security-Policy forbids inline script).
// Every page works without it: a destructive form then gets a confirmation page from the
// server, and a slot move is chosen in its list.
"use strict";

(() => {
  const CONFIRMED = "confirmed";

  function markConfirmed(form) {
    let field = form.querySelector(`input[name="${CONFIRMED}"]`);
    if (!field) {
      field = document.createElement("input");
      field.type = "hidden";
      field.name = CONFIRMED;
      form.appendChild(field);
    }
    field.value = "yes";
  }

  // data-confirm-when names the choice that needs asking: the button pressed (its name) or
  // the value of the form's "verb" list; without it, every submission asks.
  function needsConfirmation(form, submitter) {
    const when = form.dataset.confirmWhen;
    if (!when) return true;
    if (submitter && submitter.name === when) return true;
    const verb = form.querySelector('[name="verb"]');
    return verb !== null && verb.value === when;
  }

  // A <dialog> asking the form's data-confirm question; resolves true on "Yes".
  function ask(question) {
    const dialog = document.createElement("dialog");
    dialog.className = "confirm-dialog";
    const text = document.createElement("p");
    text.textContent = question;
    const yes = document.createElement("button");
    yes.type = "button";
    yes.className = "danger";
    yes.textContent = document.documentElement.lang === "ko" ? "예, 진행합니다" : "Yes, go ahead";
    const no = document.createElement("button");
    no.type = "button";
    no.textContent = document.documentElement.lang === "ko" ? "아니요" : "No";
    dialog.append(text, yes, no);
    document.body.appendChild(dialog);
    return new Promise((resolve) => {
      const close = (answer) => {
        dialog.close();
        dialog.remove();
        resolve(answer);
      };
      yes.addEventListener("click", () => close(true));
      no.addEventListener("click", () => close(false));
      dialog.addEventListener("cancel", () => close(false));
      dialog.showModal();
      no.focus();
    });
  }

  function wireConfirmations() {
    for (const form of document.querySelectorAll("form[data-confirm]")) {
      form.addEventListener("submit", (event) => {
        if (form.dataset.asked === "yes" || !needsConfirmation(form, event.submitter)) return;
        event.preventDefault();
        const submitter = event.submitter;
        ask(form.dataset.confirm).then((yes) => {
          if (!yes) return;
          markConfirmed(form);
          form.dataset.asked = "yes";
          form.requestSubmit(submitter && submitter.form === form ? submitter : undefined);
        });
      });
    }
  }

  // Drag a booked row onto a free row: the row's own Move form is sent with that slot. The
  // keyboard way is the same form: choose the slot in the list and press Move.
  function wireSlotGrid() {
    for (const grid of document.querySelectorAll("[data-slot-grid]")) {
      let dragged = null;
      grid.addEventListener("dragstart", (event) => {
        const row = event.target.closest("[data-move-booking]");
        if (!row) return;
        dragged = row.dataset.moveBooking;
        event.dataTransfer.setData("text/plain", dragged);
        event.dataTransfer.effectAllowed = "move";
        row.classList.add("dragging");
      });
      grid.addEventListener("dragend", (event) => {
        const row = event.target.closest("[data-move-booking]");
        if (row) row.classList.remove("dragging");
        for (const over of grid.querySelectorAll(".drop-over")) over.classList.remove("drop-over");
      });
      grid.addEventListener("dragover", (event) => {
        const target = event.target.closest("[data-drop-slot]");
        if (!target || dragged === null) return;
        event.preventDefault();
        target.classList.add("drop-over");
      });
      grid.addEventListener("dragleave", (event) => {
        const target = event.target.closest("[data-drop-slot]");
        if (target) target.classList.remove("drop-over");
      });
      grid.addEventListener("drop", (event) => {
        const target = event.target.closest("[data-drop-slot]");
        if (!target || dragged === null) return;
        event.preventDefault();
        const form = grid.querySelector(`form[data-move-form="${dragged}"]`);
        const select = form && form.querySelector('select[name="slot_id"]');
        if (!select) return;
        select.value = target.dataset.dropSlot;
        dragged = null;
        form.requestSubmit();
      });
    }
  }

  // Copy buttons: copy the text of the element named by data-copy (an input's value).
  function wireCopyButtons() {
    for (const button of document.querySelectorAll("button[data-copy]")) {
      button.hidden = false;
      button.addEventListener("click", () => {
        const group = button.closest(".copy-group");
        const source = button.dataset.copy
          ? document.getElementById(button.dataset.copy)
          : group && group.querySelector("input");
        if (!source) return;
        const value = "value" in source ? source.value : source.textContent;
        const done = () => {
          button.textContent = button.dataset.copied || button.textContent;
        };
        if (navigator.clipboard) {
          navigator.clipboard.writeText(value).then(done, () => source.select && source.select());
        } else if (source.select) {
          source.select();
        }
      });
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    wireConfirmations();
    wireSlotGrid();
    wireCopyButtons();
  });
})();
