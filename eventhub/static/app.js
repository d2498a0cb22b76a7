// The site's own script, served from our origin so the Content-Security-Policy can forbid
// inline script. Every page works without it; it only makes them easier to use.
"use strict";

document.documentElement.classList.add("js");

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
