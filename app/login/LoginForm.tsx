/**
 * The sign-in form: a plain HTML form posting to /api/auth/login (the server's auth gate
 * sets the session cookie and redirects back), so it works before any script has loaded.
 */
export function LoginForm({ next, invalid }: { next: string; invalid: boolean }) {
  return (
    <main className="mx-auto max-w-md space-y-4 p-6 pt-24">
      <h1 className="text-2xl font-bold tracking-tight">Gas Town Fleet</h1>
      <p className="text-sm text-slate-500">
        Sign in with the operator token (to act) or the viewer token (to watch). The server prints a sign-in URL with the token
        when it starts, and keeps generated tokens in <code>&lt;data dir&gt;/auth.json</code>.
      </p>
      {invalid && (
        <p
          role="alert"
          className="rounded border border-rose-300 bg-rose-50 px-3 py-2 text-sm text-rose-800 dark:border-rose-700 dark:bg-rose-950 dark:text-rose-200"
          data-testid="login-error"
        >
          That token is not valid for this town.
        </p>
      )}
      <form method="post" action="/api/auth/login" className="space-y-3" aria-label="Sign in">
        <input type="hidden" name="next" value={next} />
        <label className="block text-sm">
          Token
          <input
            name="token"
            type="password"
            required
            autoComplete="current-password"
            className="mt-1 block w-full rounded border border-slate-300 bg-white px-2 py-1.5 font-mono text-slate-900 dark:border-slate-700 dark:bg-slate-950 dark:text-slate-100"
          />
        </label>
        <label className="block text-sm">
          Your name <span className="text-slate-500">(shown on what you acknowledge and in the audit log)</span>
          <input
            name="name"
            maxLength={40}
            autoComplete="nickname"
            className="mt-1 block w-full rounded border border-slate-300 bg-white px-2 py-1.5 text-slate-900 dark:border-slate-700 dark:bg-slate-950 dark:text-slate-100"
          />
        </label>
        <button type="submit" className="rounded bg-sky-700 px-4 py-2 text-sm font-medium text-white hover:bg-sky-600">
          Sign in
        </button>
      </form>
    </main>
  );
}
