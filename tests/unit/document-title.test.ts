/** The tab title: the town's name and how many alerts fire in it (pending ones do not count). */
import { describe, expect, it } from 'vitest';
import type { AlertView } from '@/contracts/alerts';
import { titleFor } from '@/components/DocumentTitle';

const alert = (state: AlertView['state']) => ({ state }) as AlertView;

describe('titleFor', () => {
  it('names the town and counts the firing alerts', () => {
    expect(titleFor({ town: 'prod-east', active: [alert('firing'), alert('pending'), alert('firing')] })).toBe(
      '(2) prod-east · Gas Town Fleet',
    );
  });
  it('leaves the count out when nothing fires, and the town out when the server has none', () => {
    expect(titleFor({ town: 'prod-east', active: [alert('pending')] })).toBe('prod-east · Gas Town Fleet');
    expect(titleFor({ town: null, active: [alert('firing')] })).toBe('(1) Gas Town Fleet');
  });
});
