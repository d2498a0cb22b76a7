// The site's only script, served from our origin so the Content-Security-Policy can forbid
// inline script. Pages work without it.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // A feed address is there to be copied: select it all on a click or focus.
  for (const input of document.querySelectorAll("input[data-select-on-focus]")) {
    const selectAll = () => input.select();
    input.addEventListener("focus", selectAll);
    input.addEventListener("click", selectAll);
  }
});
