/**
 * GT_ALERTMANAGER_URL and GT_TOWN_NAME as the server reads them at start: a typo fails the
 * start with the reason, rather than a town that silently sends its alerts nowhere.
 */
import { describe, expect, it } from 'vitest';
import { alertName, parseAlertmanagerUrls } from '@/server/alerts/alertmanager';
import { loadConfig as load } from '@/server/config';

const loadConfig = (env: Record<string, string>) => load(env as NodeJS.ProcessEnv);

describe('GT_ALERTMANAGER_URL', () => {
  it('takes one URL or an HA pair, comma-separated, without a trailing slash', () => {
    expect(parseAlertmanagerUrls('http://am-1:9093/, http://am-2:9093')).toEqual({
      urls: ['http://am-1:9093', 'http://am-2:9093'],
    });
    expect(loadConfig({ GT_ALERTMANAGER_URL: 'https://am.example/prefix/' }).alertmanagerUrls).toEqual([
      'https://am.example/prefix',
    ]);
    expect(loadConfig({}).alertmanagerUrls).toEqual([]);
  });

  it.each([
    ['not a url', /is not a URL/],
    ['ftp://am:9093', /is not http\(s\)/],
    [' , ', /no URL given/],
    [Array.from({ length: 6 }, (_, i) => `http://am-${i}:9093`).join(','), /at most 5/],
  ])('refuses %j at start', (value, problem) => {
    expect(() => loadConfig({ GT_ALERTMANAGER_URL: value })).toThrow(problem);
  });
});

describe('GT_TOWN_NAME', () => {
  it('names the town, or the host does', () => {
    expect(loadConfig({ GT_TOWN_NAME: 'prod-east' }).townName).toBe('prod-east');
    expect(loadConfig({}).townName).toMatch(/^[A-Za-z0-9][A-Za-z0-9._-]*$/);
  });
  it.each(['', 'has space', '-dash-first', 'x'.repeat(64), 'a\u0000b'])('refuses %j', (name) => {
    expect(() => loadConfig({ GT_TOWN_NAME: name })).toThrow(/GT_TOWN_NAME/);
  });
});

describe('alertName', () => {
  it('is the rule id in CamelCase, as the exported rule file names the alert', () => {
    expect(alertName('merge-queue-backlog')).toBe('MergeQueueBacklog');
    expect(alertName('a1-b')).toBe('A1B');
  });
});
