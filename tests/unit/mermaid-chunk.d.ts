/** The one internal of Mermaid's that tests/unit/mermaid-config-merge.test.ts checks (it has no types of its own). */
declare module 'mermaid/dist/chunks/mermaid.core/chunk-DU6HZSFF.mjs' {
  /** Merges `src` into `dst` (two levels deep by default) and returns `dst`. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- configuration objects of any shape
  export function assignWithDepth_default(dst: any, src: unknown, options?: { depth?: number }): any;
}
