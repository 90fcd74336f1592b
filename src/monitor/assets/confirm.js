// Confirmation before every action: a modal <dialog> (focus trapped, Escape cancels).
import { page } from './ledger.js';

const dialog = () => document.getElementById('confirm');

/** Ask `question`; resolves true only if the user confirms. */
export function confirmAction(title, question, confirmLabel = 'Confirm') {
  const d = dialog();
  document.getElementById('confirm-title').textContent = title;
  document.getElementById('confirm-text').textContent = question;
  const ok = document.getElementById('confirm-ok');
  const cancel = document.getElementById('confirm-cancel');
  ok.textContent = confirmLabel;
  return new Promise((resolve) => {
    const done = (value) => {
      ok.removeEventListener('click', onOk);
      cancel.removeEventListener('click', onCancel);
      d.removeEventListener('close', onClose);
      if (d.open) d.close();
      resolve(value);
    };
    const onOk = () => done(true);
    const onCancel = () => done(false);
    const onClose = () => done(false);
    ok.addEventListener('click', onOk);
    cancel.addEventListener('click', onCancel);
    d.addEventListener('close', onClose);
    d.showModal();
    cancel.focus();
  });
}

let toastTimer;

/** Show a short message (announced to screen readers). `kind`: 'ok', 'warn' or 'error'. */
export function toast(message, kind = 'ok') {
  const el = document.getElementById('toast');
  el.textContent = message;
  el.dataset.kind = kind;
  el.hidden = false;
  toastTimer?.release();
  toastTimer = page.setTimeout(
    () => {
      el.hidden = true;
    },
    kind === 'ok' ? 5000 : 10000,
  );
}
