/**
 * A time axis that says which clock it is on: with the engine's clock label
 * (`engineClockLabel`) it is written under the axis, at its right end; at real time
 * nothing is added. Spread into a Recharts `XAxis`.
 */
export function clockAxisProps(clock: string | null) {
  return clock
    ? { height: 36, label: { value: clock, position: 'insideBottomRight' as const, fontSize: 11, fill: '#94a3b8' } }
    : {};
}
