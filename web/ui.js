// Small DOM helpers shared by the pages: messages, field errors, busy forms. Text is always
// set with textContent: nothing from the API is ever parsed as HTML.

export const $ = (selector, root = document) => root.querySelector(selector);

// The form's message line ([data-message]); kind: 'error', 'success' or 'info'.
export function formMessage(form, text, kind = 'info') {
  const line = form.querySelector('[data-message]');
  line.textContent = text;
  line.className = `form-message ${text ? kind : ''}`.trim();
}

// Marks a field invalid with a message read by screen readers when the field has focus.
export function fieldError(input, text) {
  const id = `${input.id}-error`;
  let note = document.getElementById(id);
  if (!note) {
    note = document.createElement('p');
    note.id = id;
    note.className = 'field-error';
    input.insertAdjacentElement('afterend', note);
  }
  note.textContent = text;
  input.setAttribute('aria-invalid', 'true');
  const described = (input.getAttribute('aria-describedby') ?? '').split(' ').filter(Boolean);
  if (!described.includes(id)) input.setAttribute('aria-describedby', [id, ...described].join(' '));
}

export function clearErrors(form) {
  for (const input of form.querySelectorAll('[aria-invalid="true"]')) {
    input.removeAttribute('aria-invalid');
    const id = `${input.id}-error`;
    document.getElementById(id)?.remove();
    const described = (input.getAttribute('aria-describedby') ?? '')
      .split(' ')
      .filter((token) => token && token !== id);
    if (described.length) input.setAttribute('aria-describedby', described.join(' '));
    else input.removeAttribute('aria-describedby');
  }
  formMessage(form, '');
}

// Shows the errors of a failed check: each field's message, a summary in the form's
// message line, and focus on the first invalid field (keyboard users land where to fix).
export function showFieldErrors(form, errors) {
  for (const [input, text] of errors) fieldError(input, text);
  formMessage(
    form,
    errors.length === 1 ? errors[0][1] : `Please correct the ${errors.length} fields marked.`,
    'error',
  );
  errors[0][0].focus();
}

export function setBusy(form, busy) {
  form.setAttribute('aria-busy', busy ? 'true' : 'false');
  for (const button of form.querySelectorAll('button')) button.disabled = busy;
}

// "Dec 5, 2026, 9:13 PM" in the browser's time zone, for a time in ms since the Unix epoch.
export function formatDateTime(unixMs) {
  return new Date(unixMs).toLocaleString('en-US', { dateStyle: 'medium', timeStyle: 'short' });
}

// Hands a downloaded file to the browser to save: a link to a Blob URL with a file name,
// clicked and removed (the Content-Security-Policy allows this; no inline script or data:).
const BLOB_URL_LIFETIME_MS = 60000;
export function saveFile(blob, fileName) {
  const url = URL.createObjectURL(blob);
  const link = element('a', { href: url, download: fileName, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  // Revoked later, not at once: the browser may still be reading it after the click.
  setTimeout(() => URL.revokeObjectURL(url), BLOB_URL_LIFETIME_MS);
}

export function element(tag, properties = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(properties)) {
    if (name === 'text') node.textContent = value;
    else if (name === 'dataset') Object.assign(node.dataset, value);
    else if (name.includes('-')) node.setAttribute(name, value);
    else node[name] = value;
  }
  node.append(...children);
  return node;
}
