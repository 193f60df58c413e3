// Progressive enhancement: a "Copy" button next to a read-only field (the channel topic)
// copies its text. The buttons are hidden in the HTML and shown here, so a page without
// JavaScript shows only the field, which can be selected and copied by hand.
(() => {
  if (window.vigieCopy) return;
  window.vigieCopy = true;
  const ready = () => {
    for (const button of document.querySelectorAll('button[data-copy]')) {
      if (navigator.clipboard) button.hidden = false;
    }
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', ready);
  else ready();
  document.addEventListener('click', async (event) => {
    const button = event.target instanceof Element ? event.target.closest('button[data-copy]') : null;
    if (!button) return;
    const field = document.getElementById(button.getAttribute('data-copy'));
    if (!field) return;
    const label = button.textContent;
    try {
      await navigator.clipboard.writeText(field.value ?? field.textContent ?? '');
      button.textContent = button.dataset.copied || 'Copied';
    } catch {
      field.select?.();
      button.textContent = button.dataset.copyFailed || 'Select and copy';
    }
    setTimeout(() => (button.textContent = label), 2000);
  });
})();
