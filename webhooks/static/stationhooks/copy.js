/*
 * Copy buttons: <button class="sh-copy" data-copy="#id"> copies the text of the element
 * `#id` (a body, a secret) to the clipboard, and says so for a moment.
 */
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) {
    return;
  }
  const source = document.querySelector(button.dataset.copy);
  if (!source) {
    return;
  }
  const text = "value" in source ? source.value : source.textContent;
  const label = button.textContent;
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = "Copied";
  } catch {
    // No clipboard (an http:// page other than localhost): select the text instead.
    window.getSelection().selectAllChildren(source);
    button.textContent = "Press Ctrl+C";
  }
  button.classList.add("sh-copied");
  setTimeout(() => {
    button.textContent = label;
    button.classList.remove("sh-copied");
  }, 1500);
});
