// Progressive enhancement for the incident forms: once a form is on its way, a second click
// (a double-click on "Publish") does not send it again. The server needs no help, since the
// form's idempotency key already makes a repeat harmless: this only spares the round trip.
// Without JavaScript, everything works the same. Pages may load it more than once.
(() => {
  if (window.vigieSubmitOnce) return;
  window.vigieSubmitOnce = true;
  document.addEventListener('submit', (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute('data-submit-once')) return;
    if (form.dataset.sending === 'yes') {
      event.preventDefault();
      return;
    }
    form.dataset.sending = 'yes';
    // If the answer never comes (network trouble), let the person try again.
    setTimeout(() => delete form.dataset.sending, 8000);
  });
  // Back from the next page (back/forward cache): the forms are usable again.
  window.addEventListener('pageshow', () => {
    for (const form of document.querySelectorAll('form[data-submit-once]')) delete form.dataset.sending;
  });
})();
