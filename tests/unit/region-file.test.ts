import { describe, expect, it } from 'vitest';
import { REGION_LINES, readRegion, regionCount, renderRegionFile, replaceRegion } from '@/server/git/region-file';
import { DEMO_AREAS, demoAreaFiles, demoRepositoryFiles } from '@/server/git/demo-repo';

describe('region file', () => {
  it('renders the requested number of regions with four content lines each', () => {
    const content = renderRegionFile('core/api/user-profile.ts', 9);
    expect(regionCount(content)).toBe(9);
    expect(readRegion(content, 0)).toHaveLength(REGION_LINES);
    expect(readRegion(content, 8)[3]).toBe('export const userProfile_8_3 = 0;');
    expect(content.endsWith('\n')).toBe(true);
  });

  it('separates regions by two blank lines so their hunks stay apart', () => {
    const content = renderRegionFile('ui/index.ts', 3);
    expect(content).toContain('// region 0 end\n\n\n// region 1 begin');
  });

  it('changes only the chosen region when replacing one', () => {
    const before = renderRegionFile('core/registry.ts', 4);
    const after = replaceRegion(before, 2, ['export const edited = 1;', 'export const more = 2;']);
    expect(readRegion(after, 2)).toEqual(['export const edited = 1;', 'export const more = 2;']);
    for (const other of [0, 1, 3]) expect(readRegion(after, other)).toEqual(readRegion(before, other));
    expect(regionCount(after)).toBe(4);
    expect(after.endsWith('\n')).toBe(true);
  });

  it('throws a clear error when the region does not exist', () => {
    const content = renderRegionFile('core/index.ts', 2);
    expect(() => readRegion(content, 2)).toThrow(/Region 2 not found: the file has 2 regions/);
    expect(() => replaceRegion(content, -1, ['x'])).toThrow(/Region -1 not found/);
  });

  it('refuses lines that would corrupt the format when replacing', () => {
    const content = renderRegionFile('core/index.ts', 2);
    expect(() => replaceRegion(content, 0, ['a\nb'])).toThrow(/Invalid region line/);
    expect(() => replaceRegion(content, 0, ['// region 1 end'])).toThrow(/Invalid region line/);
  });

  it('makes valid identifiers from test file names', () => {
    const content = renderRegionFile('tests/users.test.ts', 1);
    expect(readRegion(content, 0)[0]).toBe('export const usersTest_0_0 = 0;');
  });
});

describe('demo repository', () => {
  it('gives every area 12 to 14 region files with 8 to 12 regions, hotspots first', () => {
    const files = demoRepositoryFiles();
    expect(demoAreaFiles('core').slice(0, 2)).toEqual(['core/registry.ts', 'core/index.ts']);
    expect(demoAreaFiles('tests')[0]).toBe('tests/fixtures.ts');
    for (const area of DEMO_AREAS) {
      const areaFiles = demoAreaFiles(area);
      expect(areaFiles.length).toBeGreaterThanOrEqual(12);
      expect(areaFiles.length).toBeLessThanOrEqual(14);
      for (const file of areaFiles) {
        expect(regionCount(files[file])).toBeGreaterThanOrEqual(8);
        expect(regionCount(files[file])).toBeLessThanOrEqual(12);
      }
    }
    expect(JSON.parse(files['package.json']).name).toBe('gastown-demo-monorepo');
    expect(files['README.md']).toContain('demo');
  });

  it('generates identical content on every call', () => {
    expect(demoRepositoryFiles()).toEqual(demoRepositoryFiles());
  });
});
