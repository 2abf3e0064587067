/**
 * What check reports. `error` makes the check fail; `hint` is a non-critical finding
 * (duplicate or mixed packs); `info` is progress and benign findings (orphaned packs).
 * `file` names the repository file concerned (e.g. `data/<id>`, `index/<id>`).
 */
export interface CheckProblem {
  severity: 'error' | 'hint' | 'info';
  message: string;
  file?: string;
}

export type Report = (p: CheckProblem) => void;
