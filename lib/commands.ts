'use client';
/**
 * Calls an operator action from the browser through the one command endpoint and turns
 * the answer into a line a person can read ("done" or the server's reason). Writes carry
 * the session's CSRF token (lib/session.ts).
 */
import { csrfHeaders } from './session';
import { toast } from './toast';

export interface CommandResult {
  ok: boolean;
  message: string;
  data?: unknown;
}

export async function callCommand(name: string, input: unknown): Promise<CommandResult> {
  try {
    const res = await fetch(`/api/commands/${encodeURIComponent(name)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(await csrfHeaders()) },
      body: JSON.stringify(input),
    });
    const body = (await res.json().catch(() => ({}))) as { error?: { message?: string } };
    if (!res.ok) return said({ ok: false, message: body.error?.message ?? `failed (${res.status})` }, name);
    return said({ ok: true, message: 'done', data: body }, name);
  } catch {
    return said({ ok: false, message: 'the server is unreachable' }, name);
  }
}

/** Every action's outcome is also a toast, wherever the operator looks next. */
function said(result: CommandResult, name: string): CommandResult {
  toast(result.ok ? `${name}: done` : `${name} refused: ${result.message}`, result.ok);
  return result;
}
