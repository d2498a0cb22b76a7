// The site's own script, served from our origin so the Content-Security-Policy can forbid
// inline script. Every page works without it; it only makes them easier to use.
"use strict";

document.documentElement.classList.add("js");

// htmx (vendored, loaded before this file) sends forms marked hx-post without a page load.
// Every request carries the CSRF token from the page's meta tag: the forms hold it too, but
// a request htmx makes from a button outside a form would not.
document.addEventListener("htmx:configRequest", (event) => {
  const token = document.querySelector('meta[name="csrf-token"]');
  if (token) event.detail.headers["X-CSRFToken"] = token.content;
});

// An answer htmx will not swap (a 4xx or 5xx, or no answer at all): say so in the page's
// message region, in the words the updated part carries (data-htmx-error, in the page's
// language), rather than leaving the click without a visible effect.
function reportFailedUpdate(event) {
  const region = document.getElementById("flashes");
  const source = event.detail.elt.closest("[data-htmx-error]");
  if (!region || !source) return;
  const item = document.createElement("li");
  item.className = "flash flash-error";
  item.textContent = source.dataset.htmxError;
  const list = document.createElement("ul");
  list.append(item);
  region.replaceChildren(list);
}
document.addEventListener("htmx:responseError", reportFailedUpdate);
document.addEventListener("htmx:sendError", reportFailedUpdate);

// After a partial update the messages float at the bottom of the screen, where the person
// is working, instead of at the top of a page they may have scrolled far down; the next
// update or a click on them puts them back. (Only changes after the page loaded float.)
document.addEventListener("DOMContentLoaded", () => {
  const region = document.getElementById("flashes");
  if (!region) return;
  new MutationObserver(() => {
    region.classList.toggle("floating", region.querySelector("li") !== null);
  }).observe(region, { childList: true });
});
document.addEventListener("click", (event) => {
  const region = event.target.closest("#flashes.floating");
  if (region) region.classList.remove("floating");
});

document.addEventListener("DOMContentLoaded", () => {
  // The menu folds behind a button on narrow screens (style.css decides when it shows).
  const toggle = document.querySelector(".menu-toggle");
  const menu = document.getElementById("site-menu");
  if (toggle && menu) {
    toggle.hidden = false;
    toggle.addEventListener("click", () => {
      const open = menu.classList.toggle("open");
      toggle.setAttribute("aria-expanded", String(open));
    });
  }

  // A form that came back with errors: put the cursor in the first field to fix.
  const invalid = document.querySelector("[aria-invalid=true]");
  if (invalid) invalid.focus();

  // A feed address is there to be copied: select it all on a click or focus.
  for (const input of document.querySelectorAll("input[data-select-on-focus]")) {
    const selectAll = () => input.select();
    input.addEventListener("focus", selectAll);
    input.addEventListener("click", selectAll);
  }
});
