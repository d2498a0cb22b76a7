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

  // Listeners sit on the document, not on the forms and rows, so that the parts htmx puts
  // in after an action (the screening desk, the slot grid) ask and drag like the first ones.
  // A form htmx sends (hx-post) asks through htmx's own hook, which then sends it once;
  // any other form asks on submit and is submitted again after "Yes".
  function isHtmxForm(form) {
    return window.htmx !== undefined && form.hasAttribute("hx-post");
  }

  function wireConfirmations() {
    document.addEventListener("submit", (event) => {
      const form = event.target;
      if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-confirm")) return;
      if (isHtmxForm(form)) return;
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
    document.addEventListener("htmx:confirm", (event) => {
      const form = event.detail.elt;
      if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-confirm")) return;
      const trigger = event.detail.triggeringEvent;
      if (!needsConfirmation(form, trigger && trigger.submitter)) return;
      event.preventDefault();
      ask(form.dataset.confirm).then((yes) => {
        if (!yes) return;
        markConfirmed(form);
        event.detail.issueRequest(true);
      });
    });
  }

  // Drag a booked row onto a free row: the row's own Move form is sent with that slot. The
  // keyboard way is the same form: choose the slot in the list and press Move.
  function wireSlotGrid() {
    let dragged = null;
    const inGrid = (event, selector) => {
      const element = event.target instanceof Element ? event.target.closest(selector) : null;
      return element && element.closest("[data-slot-grid]") ? element : null;
    };
    document.addEventListener("dragstart", (event) => {
      const row = inGrid(event, "[data-move-booking]");
      if (!row) return;
      dragged = row.dataset.moveBooking;
      event.dataTransfer.setData("text/plain", dragged);
      event.dataTransfer.effectAllowed = "move";
      row.classList.add("dragging");
    });
    document.addEventListener("dragend", (event) => {
      const row = inGrid(event, "[data-move-booking]");
      if (row) row.classList.remove("dragging");
      for (const over of document.querySelectorAll(".drop-over")) {
        over.classList.remove("drop-over");
      }
      dragged = null;
    });
    document.addEventListener("dragover", (event) => {
      const target = inGrid(event, "[data-drop-slot]");
      if (!target || dragged === null) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      target.classList.add("drop-over");
    });
    document.addEventListener("dragleave", (event) => {
      const target = inGrid(event, "[data-drop-slot]");
      if (target) target.classList.remove("drop-over");
    });
    document.addEventListener("drop", (event) => {
      const target = inGrid(event, "[data-drop-slot]");
      if (!target || dragged === null) return;
      event.preventDefault();
      const form = document.querySelector(`form[data-move-form="${dragged}"]`);
      const select = form && form.querySelector('select[name="slot_id"]');
      dragged = null;
      if (!select) return;
      select.value = target.dataset.dropSlot;
      form.requestSubmit();
    });
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
