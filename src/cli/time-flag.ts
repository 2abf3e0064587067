import { UsageError } from '../errors/index.js';
import { formatLocal } from '../repository/index.js';

/** restic's --time: "2006-01-02 15:04:05" in local time. */
export function parseTimeFlag(s: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/.exec(s.trim());
  if (!m) throw new UsageError(`invalid --time '${s}'`, { hint: "use the format '2006-01-02 15:04:05'" });
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  if (Number.isNaN(d.getTime())) throw new UsageError(`invalid --time '${s}'`);
  return formatLocal(d.getTime());
}
