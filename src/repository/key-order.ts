/** restic tries at most this many key files before giving up. */
const MAX_KEYS_TRIED = 20;

/** The key files a search tries, in order: the hinted one first, at most restic's limit. */
export function keySearchOrder(ids: string[], hint?: string): string[] {
  const out = [...ids];
  if (hint) {
    const i = out.findIndex((id) => id.startsWith(hint));
    if (i > 0) out.unshift(...out.splice(i, 1));
  }
  return out.slice(0, MAX_KEYS_TRIED);
}
