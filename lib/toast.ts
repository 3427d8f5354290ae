'use client';
/**
 * Toasts: the outcome of an operator action, said once in the corner of whatever page
 * the operator is on. A tiny store (no library needed for a list of strings) that
 * components publish to and the Toaster in the layout renders.
 */
import { useSyncExternalStore } from 'react';

export interface Toast {
  id: number;
  ok: boolean;
  message: string;
}

const TOAST_MS = 6_000;
const MAX_TOASTS = 4;
let toasts: Toast[] = [];
let nextId = 1;
const listeners = new Set<() => void>();

function set(next: Toast[]): void {
  toasts = next;
  for (const l of listeners) l();
}

export function toast(message: string, ok = true): void {
  const id = nextId++;
  set([...toasts, { id, ok, message }].slice(-MAX_TOASTS));
  setTimeout(() => dismiss(id), TOAST_MS);
}

export function dismiss(id: number): void {
  set(toasts.filter((t) => t.id !== id));
}

const EMPTY: Toast[] = [];

export function useToasts(): Toast[] {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => toasts,
    () => EMPTY,
  );
}
