const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];
const STEP = 1024;

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= STEP && unit < UNITS.length - 1) {
    value /= STEP;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${UNITS[unit]}`;
}

export function formatDate(iso: string | undefined): string {
  return iso ? new Date(iso).toLocaleString() : '—';
}
