// Development sign-in: paste a token minted with `npm run token -- --sub NAME`.
// It is kept in localStorage["roomcal.token"], where an embedding app can put
// its own.
import { storedToken, TOKEN_KEY } from './api.js';
import { h } from './dom.js';

/** The token's subject, for display only (the server verifies the token). */
function subjectOf(token: string): string | null {
  try {
    const payload = JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as { sub?: unknown };
    return typeof payload.sub === 'string' ? payload.sub : null;
  } catch {
    return null;
  }
}

export function signIn(): HTMLElement {
  const token = storedToken();
  if (token) {
    return h(
      'div',
      { class: 'sign-in' },
      `Signed in as ${subjectOf(token) ?? 'unknown user'} `,
      h('button', { type: 'button', onclick: () => (localStorage.removeItem(TOKEN_KEY), location.reload()) }, 'Sign out'),
    );
  }
  const input = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', required: true });
  return h(
    'details',
    { class: 'sign-in' },
    h('summary', {}, 'Sign in'),
    h(
      'form',
      {
        onsubmit: (event: Event) => {
          event.preventDefault();
          localStorage.setItem(TOKEN_KEY, input.value.trim());
          location.reload();
        },
      },
      h('label', { for: 'token' }, 'Token (from ', h('code', {}, 'npm run token -- --sub NAME'), ')'),
      input,
      h('button', { type: 'submit' }, 'Sign in'),
    ),
  );
}
