'use client';
/**
 * The one confirmation every page action that moves work, adds agents, stops work or costs
 * money goes through: a native modal <dialog> (the page behind is inert), saying in numbers
 * from the current state what the action will do. Focus starts on Cancel (the safe choice),
 * Tab cycles inside the dialog, Escape and Cancel close it having changed nothing. Confirm
 * runs the action; its refusal is shown in the dialog, which then stays open.
 */
import { useEffect, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';

const BUTTON =
  'rounded px-3 py-1.5 text-sm font-medium focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-400 disabled:cursor-not-allowed disabled:opacity-50';
const TONE = {
  danger: 'bg-rose-600 text-white hover:bg-rose-500',
  caution: 'bg-amber-600 text-white hover:bg-amber-500',
} as const;

export interface ConfirmDialogProps {
  title: string;
  /** What the action does, with the numbers of the current state. */
  summary: ReactNode;
  confirmLabel: string;
  tone?: keyof typeof TONE;
  /** Runs the action: resolves to null when done (the dialog closes), or the reason it was refused. */
  onConfirm: () => Promise<string | null>;
  /** Closed: cancelled, escaped, or done. */
  onClose: () => void;
  /** Options of the action (a "drain" checkbox), between the summary and the buttons. */
  children?: ReactNode;
}

export function ConfirmDialog({
  title,
  summary,
  confirmLabel,
  tone = 'danger',
  onConfirm,
  onClose,
  children,
}: ConfirmDialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);

  async function confirm() {
    setBusy(true);
    setError(null);
    const refusal = await onConfirm();
    setBusy(false);
    if (refusal === null) onClose();
    else setError(refusal);
  }

  // showModal makes the page inert; this keeps Tab from leaving the dialog for the browser's chrome too.
  function trapTab(e: KeyboardEvent<HTMLDialogElement>) {
    // Escape is this dialog's (its cancel event closes it), not a dialog it was opened from.
    if (e.key === 'Escape') e.stopPropagation();
    if (e.key !== 'Tab' || !ref.current) return;
    const focusable = [...ref.current.querySelectorAll<HTMLElement>('button, input, select, textarea, a[href]')].filter(
      (el) => !el.hasAttribute('disabled'),
    );
    if (focusable.length === 0) return;
    const [first, last] = [focusable[0], focusable[focusable.length - 1]];
    if (e.shiftKey && document.activeElement === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  }

  return (
    <dialog
      ref={ref}
      aria-labelledby="confirm-title"
      aria-describedby="confirm-summary"
      onCancel={(e) => {
        // Escape: the browser would close the dialog itself; close through React instead, unless busy.
        e.preventDefault();
        if (!busy) onClose();
      }}
      onKeyDown={trapTab}
      className="m-auto w-full max-w-lg rounded-lg border border-slate-200 bg-white p-5 text-slate-900 shadow-xl backdrop:bg-black/60 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100"
      data-testid="confirm-dialog"
    >
      <h2 id="confirm-title" className="text-lg font-semibold">
        {title}
      </h2>
      <div id="confirm-summary" className="mt-2 space-y-2 text-sm" data-testid="confirm-summary">
        {summary}
      </div>
      {children && <div className="mt-3 text-sm">{children}</div>}
      {error && (
        <p role="alert" className="mt-3 text-sm text-rose-700 dark:text-rose-300" data-testid="confirm-error">
          {error}
        </p>
      )}
      <div className="mt-4 flex justify-end gap-2">
        <button
          type="button"
          autoFocus
          onClick={onClose}
          disabled={busy}
          className={`${BUTTON} border border-slate-300 text-slate-700 hover:bg-slate-100 dark:border-slate-600 dark:text-slate-200 dark:hover:bg-slate-800`}
          data-testid="confirm-cancel"
        >
          Cancel
        </button>
        <button
          type="button"
          onClick={() => void confirm()}
          disabled={busy}
          className={`${BUTTON} ${TONE[tone]}`}
          data-testid="confirm-ok"
        >
          {busy ? 'Working…' : confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
