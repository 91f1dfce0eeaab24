import { api, ApiError, type Me } from '../lib/api.js';
import { append, h } from '../lib/dom.js';

/** Sign-in with the optional second step (TOTP or recovery code) when the account has MFA. */
export function renderLogin(root: HTMLElement, onSignedIn: (me: Me) => void, message = ''): void {
  const msg = h('p', { role: 'alert', class: 'error', id: 'login-error' }, message);
  const user = h('input', { id: 'login-user', name: 'username', autocomplete: 'username', required: true });
  const pass = h('input', { id: 'login-pass', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const form = h(
    'form',
    { class: 'login card', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, 'ePHI Atlas'),
    h('p', { class: 'muted' }, 'Technology-asset inventory and ePHI network map'),
    h('label', { for: 'login-user' }, 'User name'),
    user,
    h('label', { for: 'login-pass' }, 'Password'),
    pass,
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
    msg,
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    msg.textContent = '';
    try {
      const r = await api<Partial<Me> & { mfaRequired?: boolean }>('/auth/login', { method: 'POST', json: { username: user.value, password: pass.value } });
      if (r.mfaRequired) renderMfaStep(root, onSignedIn);
      else onSignedIn(await api<Me>('/auth/me'));
    } catch (err) {
      msg.textContent = err instanceof ApiError ? err.message : 'cannot reach the server';
    }
  });
  root.replaceChildren(form);
  user.focus();
}

function renderMfaStep(root: HTMLElement, onSignedIn: (me: Me) => void): void {
  const msg = h('p', { role: 'alert', class: 'error' });
  const code = h('input', { id: 'mfa-code', name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code', required: true, maxlength: 32 });
  const form = h(
    'form',
    { class: 'login card', 'aria-labelledby': 'mfa-title' },
    h('h1', { id: 'mfa-title' }, 'Second step'),
    h('label', { for: 'mfa-code' }, 'Code from your authenticator app (or a recovery code)'),
    code,
    h('button', { type: 'submit', class: 'primary' }, 'Verify'),
    msg,
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await api('/auth/mfa/verify', { method: 'POST', json: { code: code.value.trim() } });
      onSignedIn(await api<Me>('/auth/me'));
    } catch (err) {
      msg.textContent = err instanceof ApiError ? err.message : 'cannot reach the server';
    }
  });
  root.replaceChildren(form);
  code.focus();
}

/** MFA enrolment: QR code and URI, confirm with a first code, then show the recovery codes once. */
export function renderAccount(root: HTMLElement, me: Me, onEnrolled?: (me: Me) => void): void {
  const out = h('div', { class: 'mfa-enrol', 'aria-live': 'polite' });
  const start = h('button', { type: 'button', class: 'primary', id: 'mfa-enrol' }, 'Set up two-factor authentication');
  start.addEventListener('click', async () => {
    out.replaceChildren();
    try {
      const r = await api<{ otpauthUri: string; qrDataUrl: string; secret?: string }>('/auth/mfa/enroll', { method: 'POST', json: {} });
      const code = h('input', { id: 'mfa-confirm-code', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 8, required: true });
      const msg = h('p', { role: 'alert', class: 'error' });
      const form = h('form', {}, h('label', { for: 'mfa-confirm-code' }, 'Enter the 6-digit code the app shows'), code, h('button', { type: 'submit' }, 'Confirm'), msg);
      form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        try {
          const c = await api<{ recoveryCodes: string[] }>('/auth/mfa/confirm', { method: 'POST', json: { code: code.value.trim() } });
          const next = h('button', { type: 'button', class: 'primary', id: 'mfa-continue' }, 'Continue');
          next.addEventListener('click', async () => onEnrolled?.(await api<Me>('/auth/me')));
          out.replaceChildren();
          append(
            out,
            h('p', { id: 'mfa-on' }, 'Two-factor authentication is on. Keep these recovery codes somewhere safe; they are shown only now.'),
            h('ul', { class: 'codes', id: 'recovery-codes' }, ...c.recoveryCodes.map((x) => h('li', {}, h('code', {}, x)))),
            onEnrolled ? next : null,
          );
        } catch (err) {
          msg.textContent = (err as Error).message;
        }
      });
      const img = h('img', { alt: 'QR code for your authenticator app', width: 200, height: 200 });
      if (r.qrDataUrl.startsWith('data:image/')) img.src = r.qrDataUrl;
      out.append(
        img,
        h('p', {}, 'Scan the QR code with an authenticator app, or type this secret: ', h('code', { id: 'mfa-secret' }, r.secret ?? '')),
        h('details', {}, h('summary', {}, 'otpauth URI'), h('code', { class: 'wrap', id: 'mfa-uri' }, r.otpauthUri)),
        form,
      );
      code.focus();
    } catch (err) {
      out.append(h('p', { role: 'alert', class: 'error' }, err instanceof ApiError && err.missing ? 'This server does not offer MFA enrolment yet.' : (err as Error).message));
    }
  });
  const state = me.mfaEnrollmentRequired
    ? h('p', { role: 'alert', class: 'notice', id: 'mfa-required' }, `The ${me.role} role requires two-factor authentication. Set it up to continue.`)
    : h('p', {}, me.mfaEnabled ? 'Two-factor authentication is on.' : 'Two-factor authentication is off.');
  root.replaceChildren(
    h('section', { class: 'page narrow' }, h('h1', {}, 'Account'), h('p', {}, `Signed in as ${me.name} (${me.role}).`), h('h2', {}, 'Two-factor authentication'), state, me.mfaEnabled ? null : start, out),
  );
}
