// The theme's search runs on key-up, so a query pasted on a phone (long press, no key) or dropped in would never
// run: every input event of the search box is passed on as a key-up. A classic script, so it runs from disk too.
document.addEventListener("input", (event) => {
  const box = event.target;
  if (box instanceof HTMLInputElement && box.classList.contains("md-search__input") && !event.isComposing) {
    box.dispatchEvent(new KeyboardEvent("keyup", { bubbles: true }));
  }
});
