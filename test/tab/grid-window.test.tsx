// Pure logic; .tsx so tab/tsconfig.json (bundler resolution, DOM) type-checks it with the tab's sources.
import { describe, expect, it } from 'vitest';
import { gridWindow } from '../../tab/src/project/grid-window';

describe('the items grid renders only the rows in view', () => {
  it('renders a screenful plus overscan of 5,000 rows at the top', () => {
    const w = gridWindow({ scrollTopPx: 0, viewportPx: 480, rowPx: 48, total: 5_000, overscan: 8 });
    expect(w).toEqual({ start: 0, end: 19, padTopPx: 0, padBottomPx: (5_000 - 19) * 48 });
  });

  it('keeps the scroll height true in the middle: padding + rendered rows = all rows', () => {
    const w = gridWindow({ scrollTopPx: 48 * 2_500, viewportPx: 480, rowPx: 48, total: 5_000, overscan: 8 });
    expect(w.start).toBe(2_492);
    expect(w.end - w.start).toBeLessThan(40);
    expect(w.padTopPx + (w.end - w.start) * 48 + w.padBottomPx).toBe(5_000 * 48);
  });

  it('clamps at the end and past it', () => {
    const w = gridWindow({ scrollTopPx: 48 * 10_000, viewportPx: 480, rowPx: 48, total: 5_000 });
    expect(w.end).toBe(5_000);
    expect(w.padBottomPx).toBe(0);
    expect(w.start).toBeLessThanOrEqual(5_000);
  });

  it('renders nothing for an empty project', () => {
    expect(gridWindow({ scrollTopPx: 0, viewportPx: 480, rowPx: 48, total: 0 })).toEqual({ start: 0, end: 0, padTopPx: 0, padBottomPx: 0 });
  });
});
