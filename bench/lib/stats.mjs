// The small statistics every bench reports with: medians of rounds, sums, and table cells.

/** The median, or null for no values (a target that ran no round). */
export function median(values) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function sum(values) {
  return values.reduce((a, b) => a + b, 0);
}

/** A number for a table cell, `n/a` when there is none. */
export function fmt(value, digits) {
  return value === null || value === undefined || Number.isNaN(value) ? 'n/a' : value.toFixed(digits);
}
