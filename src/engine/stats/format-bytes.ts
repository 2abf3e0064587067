/** restic 0.14's formatBytes: a unit is used only above (not at) its threshold, 3 decimals. */
export function formatBytes(c: number): string {
  if (c > 2 ** 40) return `${(c / 2 ** 40).toFixed(3)} TiB`;
  if (c > 2 ** 30) return `${(c / 2 ** 30).toFixed(3)} GiB`;
  if (c > 2 ** 20) return `${(c / 2 ** 20).toFixed(3)} MiB`;
  if (c > 2 ** 10) return `${(c / 2 ** 10).toFixed(3)} KiB`;
  return `${c} B`;
}
