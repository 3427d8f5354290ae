/**
 * Mermaid's configuration merge, as patched by patches/mermaid+11.17.2.patch (applied by
 * `npm ci`'s postinstall). getConfig() copies the whole configuration with it on every call,
 * so its speed decides a large diagram's drawing time (docs/benchmarks.md, page timing); the
 * patch must keep what it does: merge two levels deep, copy arrays without duplicates, skip
 * nulls, and never let a "__proto__" key from a diagram's directive reach a prototype.
 */
import { describe, expect, it } from 'vitest';
// The chunk Next bundles for `import('mermaid')`; internal, so pinned with the exact version.
import { assignWithDepth_default as assignWithDepth } from 'mermaid/dist/chunks/mermaid.core/chunk-DU6HZSFF.mjs';

describe("Mermaid's configuration merge (patched)", () => {
  it('is the patched merge (the postinstall step ran)', () => {
    expect(assignWithDepth.toString()).not.toContain('Object.entries');
  });

  it('merges two levels deep and copies below that', () => {
    const nested = { deep: { value: 1 } };
    const src = { fontSize: 16, flowchart: { curve: 'basis', padding: 12, nested }, theme: 'dark' };
    const dst = { flowchart: { curve: 'linear', htmlLabels: true }, theme: 'default' };
    const merged = assignWithDepth(dst, src);
    expect(merged).toBe(dst);
    expect(merged).toEqual({
      fontSize: 16,
      theme: 'dark',
      flowchart: { curve: 'basis', padding: 12, htmlLabels: true, nested: { deep: { value: 1 } } },
    });
    // Below two levels the object is copied once, not shared and not merged further.
    expect(merged.flowchart.nested).not.toBe(nested);
    expect(merged.flowchart.nested.deep).toBe(nested.deep);
  });

  it('copies a whole configuration: a change to the copy leaves the original as it was', () => {
    const config = { layout: 'dagre', themeVariables: { primaryColor: '#000' }, secure: ['secure'] };
    const copy = assignWithDepth({}, config);
    copy.themeVariables.primaryColor = '#fff';
    copy.secure.push('theme');
    expect(config).toEqual({ layout: 'dagre', themeVariables: { primaryColor: '#000' }, secure: ['secure'] });
  });

  it('appends array items only once, merges an array of sources in order and skips nulls', () => {
    expect(assignWithDepth({ secure: ['a', 'b'] }, { secure: ['b', 'c'] })).toEqual({ secure: ['a', 'b', 'c'] });
    expect(assignWithDepth({}, [{ theme: 'dark' }, { theme: 'base', fontSize: 12 }])).toEqual({
      theme: 'base',
      fontSize: 12,
    });
    expect(assignWithDepth({ flowchart: { curve: 'basis' } }, { flowchart: null })).toEqual({
      flowchart: { curve: 'basis' },
    });
  });

  it('keeps a "__proto__" key as data and changes no prototype', () => {
    const hostile = JSON.parse('{"__proto__": {"polluted": true}, "flowchart": {"__proto__": {"polluted": true}}}');
    const merged = assignWithDepth({}, hostile);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(merged.flowchart)).toBe(Object.prototype);
    expect(Object.hasOwn(merged, '__proto__')).toBe(true);
  });
});
