// Logging in and changing the password (docs/security.md). A login with temporary
// credentials gives a session that may only change the password: the console shows the
// forced change and nothing else until it is done.
import { accountPath, loadSession, request, saveSession } from './api.js';
import { messageFor } from './messages.js';
import { $, clearErrors, formMessage, setBusy, showFieldErrors } from './ui.js';

const ACCOUNT_ID = /^[1-9]\d{0,19}$/;
const PASSWORD_CHARS_MIN = 12;
const PASSWORD_CHARS_MAX = 128;

export const login = {
  init(app) {
    const form = $('#login-form');
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearErrors(form);
      const account = $('#login-account');
      const password = $('#login-password');
      const accountId = account.value.trim();
      const errors = [];
      if (!ACCOUNT_ID.test(accountId)) errors.push([account, 'Enter your account number (digits only).']);
      if (password.value === '') errors.push([password, 'Enter your password.']);
      if (errors.length) return showFieldErrors(form, errors);
      setBusy(form, true);
      formMessage(form, 'Logging in…');
      const result = await request('POST', '/v1/login', { login: accountId, password: password.value });
      setBusy(form, false);
      if (result.status !== 200) {
        formMessage(form, messageFor(result.body.error, 'login'), 'error');
        password.select();
        password.focus();
        return;
      }
      saveSession({
        token: result.body.session_token,
        accountId: result.body.account_id,
        expiresAt: result.body.expires_at,
        passwordChangeRequired: result.body.password_change_required === true,
      });
      form.reset();
      clearErrors(form);
      app.navigate(result.body.password_change_required ? 'password' : 'overview');
    });
  },
  async show(app, { notice }) {
    const form = $('#login-form');
    clearErrors(form);
    if (notice) formMessage(form, notice, 'info');
  },
};

// Wires a change-password form (old, new, confirm); `done` runs after a change.
function wirePasswordForm(app, form, context, done) {
  const [oldInput, newInput, confirmInput] = ['old_password', 'new_password', 'confirm_password'].map(
    (name) => form.elements.namedItem(name),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const session = loadSession();
    if (!session) return app.endSession(messageFor('unauthorized'));
    const errors = [];
    const length = [...newInput.value].length; // code points, as the server counts
    if (oldInput.value === '') errors.push([oldInput, 'Enter your current password.']);
    if (length < PASSWORD_CHARS_MIN || length > PASSWORD_CHARS_MAX) {
      errors.push([newInput, `Use ${PASSWORD_CHARS_MIN} to ${PASSWORD_CHARS_MAX} characters.`]);
    } else if (newInput.value === session.accountId) {
      errors.push([newInput, 'Do not use your account number as the password.']);
    }
    if (confirmInput.value !== newInput.value) {
      errors.push([confirmInput, messageFor('password_mismatch')]);
    }
    if (errors.length) return showFieldErrors(form, errors);
    setBusy(form, true);
    const result = await request('POST', accountPath(session, '/password'), {
      old_password: oldInput.value,
      new_password: newInput.value,
      confirm_password: confirmInput.value,
    });
    setBusy(form, false);
    if (result.status === 200) {
      form.reset();
      await done();
      return;
    }
    const code = result.body.error;
    if (code === 'unauthorized') return app.handleSessionError(result);
    const field = { wrong_password: oldInput, password_mismatch: confirmInput }[code] ?? newInput;
    const known = ['wrong_password', 'password_mismatch', 'weak_password', 'same_password'];
    if (known.includes(code)) showFieldErrors(form, [[field, messageFor(code, context)]]);
    else formMessage(form, messageFor(code, context), 'error');
  });
}

export const forced = {
  init(app) {
    const form = $('#forced-password-form');
    wirePasswordForm(app, form, 'password', async () => {
      // The session that changed the password becomes a full one (docs/security.md).
      saveSession({ ...loadSession(), passwordChangeRequired: false });
      app.flash = 'Your password is saved. Welcome to billing.';
      app.navigate('overview');
    });
  },
  async show() {
    clearErrors($('#forced-password-form'));
  },
};

export function initChangePassword(app) {
  const form = $('#change-password-form');
  wirePasswordForm(app, form, 'password', async () => {
    formMessage(form, 'Your password is changed. Your other sessions were logged out.', 'success');
  });
}
